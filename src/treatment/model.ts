import type { TreatmentPlan } from './plan-rules.js';

/**
 * A user's treatment plan and where they are in it (docs/resources.md#treatment); one per user,
 * keyed by the user. Dates are `YYYY-MM-DD` strings (db/knex.ts keeps them so).
 */
export interface Treatment extends TreatmentPlan {
  user_id: string;
  created_at: Date;
  updated_at: Date;
}

/** Every column by name, for statements that must not say `*` (db/prepared.ts). */
export const TREATMENT_COLUMNS = [
  'user_id',
  'status',
  'total_aligners',
  'current_aligner',
  'change_interval_days',
  'started_on',
  'current_aligner_started_on',
  'daily_wear_goal_minutes',
  'extension_days',
  'created_at',
  'updated_at',
] as const satisfies ReadonlyArray<keyof Treatment>;

/** The stored row as the domain functions take it. */
export function planOf(treatment: Treatment): TreatmentPlan {
  return {
    status: treatment.status,
    total_aligners: treatment.total_aligners,
    current_aligner: treatment.current_aligner,
    change_interval_days: treatment.change_interval_days,
    started_on: treatment.started_on,
    current_aligner_started_on: treatment.current_aligner_started_on,
    daily_wear_goal_minutes: treatment.daily_wear_goal_minutes,
    extension_days: treatment.extension_days,
  };
}

import type { Knex } from 'knex';
import { addDays, type LocalDate } from '../shared/time/local-time.js';
import { readTreatmentOrNull } from '../treatment/plan.js';
import { keepsStreak } from '../wear/stats-computation.js';
import { loadWearStats } from '../wear/wear-stats.js';
import type { WeeklySummaryFigures } from './model.js';

/**
 * The figures of a weekly summary (docs/reminders.md#weekly-summary), as the app would show
 * them at hand-over: GET /wear-stats over the 7 local days before its Sunday (Sunday − 7
 * to Saturday) and the streak now, and GET /treatment's `current_aligner_wear` when the
 * treatment is active. Null when nothing was tracked in those days (no treatment and no
 * session yet, or an app silent all week, so no day is confirmed): no push then.
 */
export async function weeklySummaryFigures(
  knex: Knex,
  input: { cognitoSub: string; weekOf: LocalDate; silentDaysAllowed: number; now: Date },
): Promise<WeeklySummaryFigures | null> {
  const { cognitoSub, weekOf, silentDaysAllowed, now } = input;
  const stats = await loadWearStats(
    knex,
    cognitoSub,
    { from: addDays(weekOf, -7), to: addDays(weekOf, -1), silentDaysAllowed },
    now,
  );
  // Tracked and confirmed: a week the app was silent throughout tells nothing either.
  if (!stats.days.some((day) => day.tracked_minutes > 0 && day.confirmed)) return null;
  return {
    tracked_days: stats.summary.tracked_days,
    average_wear_minutes: stats.summary.average_wear_minutes,
    days_goal_met: stats.days.filter(keepsStreak).length,
    current_streak_days: stats.summary.current_streak_days,
    aligner: await currentAligner(knex, cognitoSub, silentDaysAllowed, now),
  };
}

async function currentAligner(
  knex: Knex,
  cognitoSub: string,
  silentDaysAllowed: number,
  now: Date,
): Promise<WeeklySummaryFigures['aligner']> {
  const treatment = await readTreatmentOrNull(knex, cognitoSub, { silentDaysAllowed }, now);
  if (treatment?.status !== 'active') return null;
  return {
    number: treatment.current_aligner,
    average_wear_minutes: treatment.current_aligner_wear.average_wear_minutes,
    suggested_extra_days: treatment.current_aligner_wear.suggested_extra_days,
  };
}

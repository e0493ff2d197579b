export const WEAR_REASONS = ['meal', 'drink', 'cleaning', 'other'] as const;
export type WearReason = (typeof WEAR_REASONS)[number];

/**
 * An out-of-mouth session (docs/resources.md#wear-sessions): the aligners were out from
 * `started_at` until `ended_at`, or until now while `ended_at` is null. Postgres
 * keeps one open session per user and no two of a user's sessions overlapping.
 */
export interface WearSession {
  id: string;
  user_id: string;
  started_at: Date;
  ended_at: Date | null;
  reason: WearReason | null;
  created_at: Date;
  updated_at: Date;
}

/** The constraints of migration 20261128000400, by name: requests map their violations to answers. */
export const WEAR_SESSION_CONSTRAINTS = {
  oneOpenPerUser: 'wear_sessions_one_open_per_user',
  noOverlap: 'wear_sessions_no_overlap',
  endsAfterStart: 'wear_sessions_ends_after_start',
} as const;

export type ReminderType = 'progress' | 'wear' | 'weekly_summary';
export type ReminderStatus =
  'pending' | 'scheduled' | 'cancel_requested' | 'cancelled' | 'skipped' | 'failed';

/** A push reminder (docs/reminders.md#reminder-rows); its id is OneSignal's idempotency key. */
export interface Reminder {
  id: string;
  user_id: string;
  type: ReminderType;
  send_after: Date;
  status: ReminderStatus;
  status_reason: string | null;
  onesignal_id: string | null;
  attempts: number;
  last_error: string | null;
  aligner_number: number | null;
  wear_session_id: string | null;
  schedule_sent_at: Date | null;
  /** When the readiness check of a progress reminder was made (docs/reminders.md#readiness-check). */
  readiness_checked_at: Date | null;
  /** Extra days the text suggests, when the check found a deficit; with the average it was made of. */
  suggested_extra_days: number | null;
  average_wear_minutes: number | null;
  /** Weekly summary: the local Sunday it is sent on, and its figures, fixed at hand-over (docs/reminders.md#weekly-summary). */
  week_of: string | null;
  summary: WeeklySummaryFigures | null;
  created_at: Date;
  updated_at: Date;
}

export const LIVE_STATUSES: readonly ReminderStatus[] = ['pending', 'scheduled'];

/** What a weekly summary says: the 7 days before its Sunday, and the current aligner then. */
export interface WeeklySummaryFigures {
  tracked_days: number;
  /** Wear per 24 h over the week's complete, confirmed days; null when there is none. */
  average_wear_minutes: number | null;
  days_goal_met: number;
  current_streak_days: number;
  /** Without an active treatment, none. */
  aligner: { number: number; average_wear_minutes: number | null; suggested_extra_days: number } | null;
}

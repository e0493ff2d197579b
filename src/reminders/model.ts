export type ReminderType = 'progress' | 'wear';
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
  created_at: Date;
  updated_at: Date;
}

export const LIVE_STATUSES: readonly ReminderStatus[] = ['pending', 'scheduled'];

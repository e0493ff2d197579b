/**
 * Reminder settings (docs/reminders.md#settings). A user without a row has the defaults
 * (DEFAULT_REMINDER_SETTINGS); the first PUT creates the row.
 */
export interface UserSettings {
  user_id: string;
  progress_reminders: boolean;
  /** "HH:MM", local to the user's zone */
  reminder_time: string;
  wear_reminders: boolean;
  wear_reminder_after_minutes: number;
  weekly_summary: boolean;
  updated_at: Date;
}

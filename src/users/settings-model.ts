import { Model } from 'objection';

/**
 * Reminder settings (docs/reminders.md#settings). A user without a row has the defaults
 * (DEFAULT_REMINDER_SETTINGS); the first PUT creates the row.
 */
export class UserSettings extends Model {
  static override tableName = 'user_settings';
  static override idColumn = 'user_id';

  user_id!: string;
  progress_reminders!: boolean;
  /** "HH:MM", local to the user's zone */
  reminder_time!: string;
  wear_reminders!: boolean;
  wear_reminder_after_minutes!: number;
  updated_at!: Date;
}

import type { Knex } from 'knex';
import { DEFAULT_REMINDER_SETTINGS, type ReminderSettings } from './planning.js';

/** The user's reminder settings; a user who never saved any has the defaults (docs/reminders.md#settings). */
export async function loadReminderSettings(knex: Knex, userId: string): Promise<ReminderSettings> {
  const row = (await knex('user_settings')
    .where({ user_id: userId })
    .first(
      'progress_reminders',
      'reminder_time',
      'wear_reminders',
      'wear_reminder_after_minutes',
      'weekly_summary',
    )) as ReminderSettings | undefined;
  return row ?? DEFAULT_REMINDER_SETTINGS;
}

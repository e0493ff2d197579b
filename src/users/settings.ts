import type { Knex } from 'knex';
import type { UserSettings } from './settings-model.js';
import { commitThenDispatch } from '../shared/db/transaction.js';
import { DEFAULT_REMINDER_SETTINGS, type ReminderSettings } from '../reminders/planning.js';
import type { Dispatcher } from '../shared/jobs/dispatcher.js';
import { replanOpenWearReminders, replanProgressReminder, replanWeeklySummary } from '../reminders/replan.js';
import { loadReminderSettings } from '../reminders/settings.js';
import { lockUser } from '../treatment/locks.js';
import type { PutSettingsBody } from './settings-schema.js';

/** Exactly the five fields of docs/reminders.md#settings: the row's user id and timestamp stay inside. */
export function presentSettings(settings: ReminderSettings): ReminderSettings {
  return {
    progress_reminders: settings.progress_reminders,
    reminder_time: settings.reminder_time,
    wear_reminders: settings.wear_reminders,
    wear_reminder_after_minutes: settings.wear_reminder_after_minutes,
    weekly_summary: settings.weekly_summary,
  };
}

/** `GET /settings`: the stored settings, or the defaults for a user who never saved any. */
export async function readSettings(knex: Knex, userId: string): Promise<ReminderSettings> {
  return presentSettings(await loadReminderSettings(knex, userId));
}

/**
 * `PUT /settings`: the fields sent replace the stored ones (or the defaults), the
 * others are kept. Reminders follow in the same transaction: the progress reminder,
 * every open wear session's reminder and the weekly summary are re-planned (each a
 * no-op when what it depends on did not change).
 */
export async function updateSettings(
  knex: Knex,
  dispatcher: Dispatcher,
  userId: string,
  body: PutSettingsBody,
  now = new Date(),
): Promise<ReminderSettings> {
  return commitThenDispatch(knex, dispatcher, async (trx, jobs) => {
    await lockUser(trx, userId);
    const changes = Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
    const [row] = (await trx('user_settings')
      .insert({ user_id: userId, ...DEFAULT_REMINDER_SETTINGS, ...changes })
      .onConflict('user_id')
      .merge({ ...changes, updated_at: trx.fn.now() })
      .returning('*')) as UserSettings[];
    await replanProgressReminder(trx, userId, jobs, now);
    await replanOpenWearReminders(trx, userId, jobs, now);
    await replanWeeklySummary(trx, userId, jobs, now);
    return presentSettings(row!);
  });
}

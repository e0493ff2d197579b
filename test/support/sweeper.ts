import type { Knex } from 'knex';
import { WEEKLY_SUMMARY_LEAD_MINUTES } from '../../src/reminders/planning.js';

/**
 * Reminders whose work is owed: a weekly summary waits, pending, for its hand-over
 * (docs/reminders.md#weekly-summary), so one planned for a later Sunday is not stuck.
 */
const owedReminders = (db: Knex) =>
  db('reminders')
    .whereIn('status', ['pending', 'cancel_requested'])
    .whereNot((waiting) =>
      waiting
        .where({ type: 'weekly_summary', status: 'pending' })
        .where('send_after', '>', db.raw(`now() + interval '${WEEKLY_SUMMARY_LEAD_MINUTES} minutes'`)),
    );

/** The columns that say whether a reminder still waits for its hand-over. */
export interface PlannedReminder {
  type: string;
  status: string;
  send_after: Date;
}

/**
 * A weekly summary planned for a Sunday whose hand-over has not come: pending, and rightly
 * so (the JavaScript twin of the filter in owedReminders, for tests that read whole rows).
 */
export function awaitingHandOver(row: PlannedReminder, now = new Date()): boolean {
  return (
    row.type === 'weekly_summary' &&
    row.status === 'pending' &&
    row.send_after.getTime() - WEEKLY_SUMMARY_LEAD_MINUTES * 60_000 > now.getTime()
  );
}

/** The rows unsettledRows counts, for a failure message: what is stuck, and since when. */
export async function unsettledDetail(db: Knex): Promise<unknown[]> {
  return [
    ...(await owedReminders(db).select(
      'id',
      'type',
      'status',
      'send_after',
      'schedule_sent_at',
      'attempts',
      'last_error',
      'updated_at',
    )),
    ...(await db('dentist_change_requests')
      .where({ status: 'pending' })
      .select('id', 'status', 'attempts', 'updated_at')),
    ...(await db('hubspot_events').where({ status: 'received' }).select('id', 'status', 'received_at')),
  ];
}

/** Reminders, dentist changes and HubSpot events not yet final: none once all work is done. */
export async function unsettledRows(db: Knex): Promise<number> {
  const counts = await Promise.all([
    owedReminders(db).count({ n: '*' }),
    db('dentist_change_requests').where({ status: 'pending' }).count({ n: '*' }),
    db('hubspot_events').where({ status: 'received' }).count({ n: '*' }),
  ]);
  return counts.reduce((sum, [row]) => sum + Number((row as { n: number | string }).n), 0);
}

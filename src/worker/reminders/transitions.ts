import type { Knex } from 'knex';
import type { ReminderStatus } from '../../shared/db/models/reminder.js';

/**
 * Ends a reminder the worker was handling. If a cancel was requested meanwhile, the
 * reminder ends `cancelled` instead of `outcome`: nothing is live at OneSignal either way.
 * Returns the status written, or undefined when the row had already moved on.
 */
export async function settle(
  knex: Knex,
  id: string,
  outcome: Extract<ReminderStatus, 'skipped' | 'failed' | 'cancelled'>,
  fields: { status_reason?: string | null; last_error?: string | null },
): Promise<ReminderStatus | undefined> {
  const [row] = (await knex('reminders')
    .where({ id })
    .whereIn('status', ['pending', 'cancel_requested'])
    .update({
      ...fields,
      status: knex.raw(`case when status = 'cancel_requested' then 'cancelled' else ? end`, [outcome]),
      updated_at: knex.fn.now(),
    })
    .returning('status')) as Array<{ status: ReminderStatus }>;
  return row?.status;
}

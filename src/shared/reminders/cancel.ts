import type { Knex } from 'knex';
import type { JobRequest } from '../queues.js';

/**
 * Withdraws a live reminder inside the caller's transaction. One never handed to
 * OneSignal ends `cancelled` at once; one that may exist there (scheduled, or a
 * schedule call already sent) becomes `cancel_requested` and the worker deletes it
 * at OneSignal. The conditions are evaluated under the row lock, so this and the
 * schedule job's claim cannot both win.
 */
export async function cancelReminder(
  trx: Knex.Transaction,
  reminderId: string,
  reason: string,
  jobs: JobRequest[],
): Promise<void> {
  const direct = await trx('reminders')
    .where({ id: reminderId, status: 'pending' })
    .whereNull('schedule_sent_at')
    .update({ status: 'cancelled', status_reason: reason, updated_at: trx.fn.now() });
  if (direct > 0) return;
  const viaOneSignal = await trx('reminders')
    .where({ id: reminderId })
    .whereIn('status', ['pending', 'scheduled'])
    .update({ status: 'cancel_requested', status_reason: reason, updated_at: trx.fn.now() });
  if (viaOneSignal > 0) jobs.push({ job: 'cancelReminder', rowId: reminderId });
}

/** Every live reminder of a user, e.g. when their account is erased. */
export async function cancelAllReminders(
  trx: Knex.Transaction,
  userId: string,
  reason: string,
  jobs: JobRequest[],
): Promise<void> {
  const live = (await trx('reminders')
    .where({ user_id: userId })
    .whereIn('status', ['pending', 'scheduled'])
    .select('id')) as Array<{
    id: string;
  }>;
  for (const { id } of live) await cancelReminder(trx, id, reason, jobs);
}

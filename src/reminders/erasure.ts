import { remindersQueue } from './jobs.js';
import type { WorkerContext } from '../shared/jobs/context.js';
import { markErased, remindersToWithdrawForErasure } from './repository.js';

/**
 * Withdraws every reminder of an account before its rows go: the OneSignal ids live in
 * those rows. Throws (the erasure step is retried) while a notification cannot be
 * deleted yet: OneSignal failing or asking to wait (its Retry-After then pauses every
 * reminder call, as for the cancel job), or a schedule call in flight whose
 * notification must be deleted once it exists.
 */
export async function withdrawRemindersForErasure(
  userId: string,
  { knex, onesignal, queues }: Pick<WorkerContext, 'knex' | 'onesignal' | 'queues'>,
): Promise<void> {
  for (const reminder of await remindersToWithdrawForErasure(knex, userId)) {
    if (reminder.onesignal_id) {
      if (!onesignal)
        throw new Error('OneSignal is not configured, so scheduled notifications cannot be cancelled');
      const outcome = await onesignal.cancelNotification(reminder.onesignal_id);
      if (outcome.kind === 'rate_limited') await queues.of(remindersQueue).rateLimit(outcome.retryAfterMs);
      if (outcome.kind !== 'cancelled' && outcome.kind !== 'gone')
        throw new Error(`OneSignal cancel failed: ${outcome.kind}`);
    } else if (reminder.schedule_sent_at) {
      throw new Error('a schedule call is in flight; retrying once its outcome is known');
    }
    await markErased(knex, reminder.id);
  }
}

import { DelayedError, RateLimitError, UnrecoverableError } from 'bullmq';
import { Reminder, type ReminderStatus } from '../../shared/db/models/reminder.js';
import { handOverAt } from '../../shared/domain/reminders.js';
import type { Processor } from '../context.js';
import { boundRateLimit, isLastAttempt } from '../job-attempts.js';
import { reminderMessage } from '../reminders/messages.js';
import { settle } from '../reminders/transitions.js';

/**
 * Hands a reminder to OneSignal (SPEC §4). Re-reads the row and acts only on a
 * `pending` one (or one withdrawn while a call of ours got no answer), so duplicates
 * and sweeper re-enqueues do nothing; the row id is the idempotency key, so a retry
 * after a lost answer finds the same notification.
 */
export const processScheduleReminder: Processor = async (job, context, token) => {
  const { knex, onesignal, queues, dispatcher, logger } = context;
  const reminder = await Reminder.query(knex).findById(job.data.rowId);
  if (!reminder) return { skipped: 'missing' };
  // An earlier call got no usable answer (worker killed mid-call, timeout, 5xx): it may have
  // created the notification. Withdrawn since or not, the call is made again with the same
  // idempotency key to learn its id, so a cancel can delete it at OneSignal.
  const unanswered =
    reminder.schedule_sent_at !== null &&
    reminder.onesignal_id === null &&
    (reminder.status === 'pending' || reminder.status === 'cancel_requested');
  if (reminder.status !== 'pending' && !unanswered) return { skipped: reminder.status };

  const now = new Date();
  if (!onesignal)
    return { status: await settle(knex, reminder.id, 'skipped', { status_reason: 'not_configured' }) };
  if (reminder.send_after.getTime() <= now.getTime())
    return { status: await settle(knex, reminder.id, 'skipped', { status_reason: 'expired' }) };
  // More than 30 days ahead: OneSignal would refuse it; come back when it is in range.
  const handOver = handOverAt(reminder.send_after, now);
  if (handOver.getTime() > now.getTime() + 1000 && token) {
    await job.moveToDelayed(handOver.getTime(), token);
    throw new DelayedError();
  }

  // Claim: from here a cancel must go through OneSignal (the call may create it). The
  // user's sub and erasure mark come back with the claim, in the same round trip (a
  // reminder always has its user: the foreign key cascades).
  const [user] = (await knex('reminders')
    .updateFrom('users')
    .where('reminders.id', reminder.id)
    .whereIn('reminders.status', unanswered ? ['pending', 'cancel_requested'] : ['pending'])
    .where('users.id', knex.ref('reminders.user_id'))
    .update({ schedule_sent_at: now, attempts: job.attemptsMade + 1, updated_at: now })
    .returning(['users.cognito_sub', 'users.deleted_at'])) as Array<{
    cognito_sub: string;
    deleted_at: Date | null;
  }>;
  if (!user) return { skipped: 'cancelled meanwhile' };
  if (user.deleted_at && !unanswered)
    return { status: await settle(knex, reminder.id, 'cancelled', { status_reason: 'account_erased' }) };

  const outcome = boundRateLimit(
    job,
    await onesignal.createNotification({
      id: reminder.id,
      type: reminder.type,
      externalId: user.cognito_sub,
      ...reminderMessage(reminder),
      sendAfter: reminder.send_after,
    }),
  );

  switch (outcome.kind) {
    case 'created': {
      const [row] = (await knex('reminders')
        .where({ id: reminder.id })
        .update({
          onesignal_id: outcome.onesignalId,
          status: knex.raw(`case when status = 'pending' then 'scheduled' else status end`),
          last_error: null,
          updated_at: knex.fn.now(),
        })
        .returning('status')) as Array<{ status: ReminderStatus }>;
      // A cancel raced this call: the notification now exists, so delete it there too.
      if (row?.status === 'cancel_requested')
        await dispatcher.dispatch([{ job: 'cancelReminder', rowId: reminder.id }]);
      logger.info(
        { reminder_id: reminder.id, type: reminder.type, status: row?.status },
        'reminder scheduled at OneSignal',
      );
      return { status: row?.status };
    }
    case 'not_sent':
      return {
        status: await settle(knex, reminder.id, 'skipped', {
          status_reason: outcome.reason,
          last_error: null,
        }),
      };
    case 'rate_limited':
      // Wait as OneSignal asks, without spending an attempt (a bounded number of times).
      await queues.reminders.rateLimit(outcome.retryAfterMs);
      throw new RateLimitError();
    case 'retryable':
      await knex('reminders')
        .where({ id: reminder.id })
        .update({ last_error: outcome.reason, updated_at: knex.fn.now() });
      if (isLastAttempt(job)) await settle(knex, reminder.id, 'failed', { last_error: outcome.reason });
      throw new Error(outcome.reason);
    case 'rejected':
      await settle(knex, reminder.id, 'failed', { last_error: outcome.reason });
      throw new UnrecoverableError(outcome.reason);
  }
};

import { cancelReminderJob, remindersQueue } from './jobs.js';
import { DelayedError, RateLimitError, UnrecoverableError } from 'bullmq';
import type { Processor } from '../shared/jobs/context.js';
import { boundRateLimit, isLastAttempt } from '../shared/jobs/attempts.js';
import { reminderMessage } from './messages.js';
import type { Reminder } from './model.js';
import { handOverAt } from './planning.js';
import { replanWeeklySummary } from './replan.js';
import {
  claimForScheduling,
  findReminder,
  fixWeeklySummary,
  recordError,
  recordScheduled,
  settleReminder,
} from './repository.js';
import { weeklySummaryFigures } from './weekly-figures.js';
import { commitThenDispatch } from '../shared/db/transaction.js';
import type { WorkerContext } from '../shared/jobs/context.js';

/**
 * Hands a reminder to OneSignal (docs/reminders.md#schedule). Re-reads the row and acts only on a
 * `pending` one (or one withdrawn while a call of ours got no answer), so duplicates
 * and sweeper re-enqueues do nothing; the row id is the idempotency key, so a retry
 * after a lost answer finds the same notification.
 */
export const processScheduleReminder: Processor = async (job, context, token) => {
  const { knex, onesignal, queues, dispatcher, logger, config } = context;
  const reminder = await findReminder(knex, job.data.rowId);
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
  const weekly = reminder.type === 'weekly_summary';
  if (weekly) {
    // A weekly summary waits for its hand-over before anything else, even a missing
    // OneSignal: what happens to it then plans the next week, and planning it early
    // would run the chain ahead of the calendar.
    const handOver = handOverAt(reminder.send_after, now, reminder.type);
    if (handOver.getTime() > now.getTime() + 1000 && token) {
      await job.moveToDelayed(handOver.getTime(), token);
      throw new DelayedError();
    }
    await planNextWeek(context, reminder, now);
  }
  if (!onesignal)
    return {
      status: await settleReminder(knex, reminder.id, 'skipped', { status_reason: 'not_configured' }),
    };
  if (reminder.send_after.getTime() <= now.getTime())
    return { status: await settleReminder(knex, reminder.id, 'skipped', { status_reason: 'expired' }) };
  // More than 30 days ahead: OneSignal would refuse it; come back when it is in range.
  const handOver = handOverAt(reminder.send_after, now, reminder.type);
  if (handOver.getTime() > now.getTime() + 1000 && token) {
    await job.moveToDelayed(handOver.getTime(), token);
    throw new DelayedError();
  }

  const user = await claimForScheduling(knex, reminder.id, {
    retryingUnanswered: unanswered,
    attempts: job.attemptsMade + 1,
    now,
  });
  if (!user) return { skipped: 'cancelled meanwhile' };
  if (user.deleted_at && !unanswered)
    return {
      status: await settleReminder(knex, reminder.id, 'cancelled', { status_reason: 'account_erased' }),
    };

  let toSend = reminder;
  if (weekly && !reminder.summary) {
    const figures = await weeklySummaryFigures(knex, {
      cognitoSub: user.cognito_sub,
      weekOf: reminder.week_of!,
      silentDaysAllowed: config.WEAR_SILENT_DAYS_ALLOWED,
      now,
    });
    if (!figures)
      return {
        status: await settleReminder(knex, reminder.id, 'skipped', { status_reason: 'nothing_tracked' }),
      };
    toSend = { ...reminder, summary: await fixWeeklySummary(knex, reminder.id, figures) };
  }

  const outcome = boundRateLimit(
    job,
    await onesignal.createNotification({
      id: reminder.id,
      type: reminder.type,
      externalId: user.cognito_sub,
      ...reminderMessage(toSend),
      sendAfter: reminder.send_after,
    }),
  );

  switch (outcome.kind) {
    case 'created': {
      const status = await recordScheduled(knex, reminder.id, outcome.onesignalId);
      // A cancel raced this call: the notification now exists, so delete it there too.
      if (status === 'cancel_requested')
        await dispatcher.dispatch([{ job: cancelReminderJob, rowId: reminder.id }]);
      logger.info(
        { reminder_id: reminder.id, type: reminder.type, status },
        'reminder scheduled at OneSignal',
      );
      return { status };
    }
    case 'not_sent':
      return {
        status: await settleReminder(knex, reminder.id, 'skipped', {
          status_reason: outcome.reason,
          last_error: null,
        }),
      };
    case 'rate_limited':
      // Wait as OneSignal asks, without spending an attempt (a bounded number of times).
      await queues.of(remindersQueue).rateLimit(outcome.retryAfterMs);
      throw new RateLimitError();
    case 'retryable':
      await recordError(knex, reminder.id, outcome.reason);
      if (isLastAttempt(job))
        await settleReminder(knex, reminder.id, 'failed', { last_error: outcome.reason });
      throw new Error(outcome.reason);
    case 'rejected':
      await settleReminder(knex, reminder.id, 'failed', { last_error: outcome.reason });
      throw new UnrecoverableError(outcome.reason);
  }
};

/**
 * The chain of weekly summaries (docs/reminders.md#weekly-summary): once a week's is
 * handed over, whatever becomes of it (sent, skipped, expired, failed), the next week's
 * is planned, as from its send. Made first, in its own transaction, so a crash later in
 * the job cannot break the chain; a re-run finds the next week planned and keeps it.
 */
async function planNextWeek(
  { knex, dispatcher }: Pick<WorkerContext, 'knex' | 'dispatcher'>,
  reminder: Reminder,
  now: Date,
): Promise<void> {
  const from = new Date(Math.max(now.getTime(), reminder.send_after.getTime()));
  await commitThenDispatch(knex, dispatcher, (trx, jobs) =>
    replanWeeklySummary(trx, reminder.user_id, jobs, from),
  );
}

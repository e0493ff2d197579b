import { remindersQueue, scheduleReminderJob } from './jobs.js';
import { RateLimitError, UnrecoverableError } from 'bullmq';
import { jobIdFor } from '../shared/jobs/queues.js';
import type { Processor } from '../shared/jobs/context.js';
import { boundRateLimit, isLastAttempt } from '../shared/jobs/attempts.js';
import { failCancel, findReminder, recordError, settleReminder } from './repository.js';

const LIVE_JOB_STATES = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);

/**
 * Why OneSignal no longer has the notification. On a retry the likeliest cause is our
 * own earlier DELETE, which went through while its answer was lost (a timeout, a reset):
 * saying "already sent" then would send whoever reads the row on a false trail.
 */
function goneReason(attemptsMade: number, reason: string): string {
  return attemptsMade > 0
    ? `gone at OneSignal on a retry: an earlier attempt's delete went through unanswered, or it was already sent (${reason})`
    : `already sent or unknown at OneSignal (${reason})`;
}

/**
 * Deletes a reminder at OneSignal (docs/reminders.md#cancel). A cancel that finds the schedule call
 * still in flight waits for its outcome (retry with backoff), so a cancel racing a
 * schedule still ends cancelled at OneSignal.
 */
export const processCancelReminder: Processor = async (job, context) => {
  const { knex, onesignal, queues } = context;
  let reminder = await findReminder(knex, job.data.rowId);
  if (!reminder || reminder.status !== 'cancel_requested') return { skipped: reminder?.status ?? 'missing' };

  if (!reminder.onesignal_id) {
    const scheduleState = await queues
      .of(remindersQueue)
      .getJobState(jobIdFor(scheduleReminderJob, reminder.id));
    if (LIVE_JOB_STATES.has(scheduleState))
      throw new Error('the schedule call is still in flight; waiting for its outcome');
    // Re-read after checking the job: a schedule that just finished has written its id by now.
    reminder = (await findReminder(knex, reminder.id))!;
    if (reminder.status !== 'cancel_requested') return { skipped: reminder.status };
    if (!reminder.onesignal_id) return { status: await settleReminder(knex, reminder.id, 'cancelled', {}) };
  }
  if (!onesignal)
    return { status: await settleReminder(knex, reminder.id, 'failed', { last_error: 'not_configured' }) };

  // A 429 waits without spending an attempt, a bounded number of times (boundRateLimit).
  const outcome = boundRateLimit(job, await onesignal.cancelNotification(reminder.onesignal_id));
  switch (outcome.kind) {
    case 'cancelled':
      return { status: await settleReminder(knex, reminder.id, 'cancelled', { last_error: null }) };
    case 'gone':
      return {
        status: await settleReminder(knex, reminder.id, 'cancelled', {
          status_reason: goneReason(job.attemptsMade, outcome.reason),
        }),
      };
    case 'rate_limited':
      await queues.of(remindersQueue).rateLimit(outcome.retryAfterMs);
      throw new RateLimitError();
    case 'retryable':
      await recordError(knex, reminder.id, outcome.reason);
      if (isLastAttempt(job)) await failCancel(knex, reminder.id);
      throw new Error(outcome.reason);
    case 'rejected':
      await failCancel(knex, reminder.id, outcome.reason);
      throw new UnrecoverableError(outcome.reason);
  }
};

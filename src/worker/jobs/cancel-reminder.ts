import { RateLimitError, UnrecoverableError } from 'bullmq';
import { Reminder } from '../../shared/db/models/reminder.js';
import { jobIdFor } from '../../shared/queues.js';
import type { Processor } from '../context.js';
import { boundRateLimit, isLastAttempt } from '../job-attempts.js';
import { settle } from '../reminders/transitions.js';

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
 * Deletes a reminder at OneSignal (SPEC §4). A cancel that finds the schedule call
 * still in flight waits for its outcome (retry with backoff), so a cancel racing a
 * schedule still ends cancelled at OneSignal.
 */
export const processCancelReminder: Processor = async (job, context) => {
  const { knex, onesignal, queues } = context;
  let reminder = await Reminder.query(knex).findById(job.data.rowId);
  if (!reminder || reminder.status !== 'cancel_requested') return { skipped: reminder?.status ?? 'missing' };

  if (!reminder.onesignal_id) {
    const scheduleState = await queues.reminders.getJobState(jobIdFor('scheduleReminder', reminder.id));
    if (LIVE_JOB_STATES.has(scheduleState))
      throw new Error('the schedule call is still in flight; waiting for its outcome');
    // Re-read after checking the job: a schedule that just finished has written its id by now.
    reminder = (await Reminder.query(knex).findById(reminder.id))!;
    if (reminder.status !== 'cancel_requested') return { skipped: reminder.status };
    if (!reminder.onesignal_id) return { status: await settle(knex, reminder.id, 'cancelled', {}) };
  }
  if (!onesignal)
    return { status: await settle(knex, reminder.id, 'failed', { last_error: 'not_configured' }) };

  // A 429 waits without spending an attempt, a bounded number of times (boundRateLimit).
  const outcome = boundRateLimit(job, await onesignal.cancelNotification(reminder.onesignal_id));
  switch (outcome.kind) {
    case 'cancelled':
      return { status: await settle(knex, reminder.id, 'cancelled', { last_error: null }) };
    case 'gone':
      return {
        status: await settle(knex, reminder.id, 'cancelled', {
          status_reason: goneReason(job.attemptsMade, outcome.reason),
        }),
      };
    case 'rate_limited':
      await queues.reminders.rateLimit(outcome.retryAfterMs);
      throw new RateLimitError();
    case 'retryable':
      await knex('reminders')
        .where({ id: reminder.id })
        .update({ last_error: outcome.reason, updated_at: knex.fn.now() });
      if (isLastAttempt(job))
        await knex('reminders')
          .where({ id: reminder.id, status: 'cancel_requested' })
          .update({ status: 'failed' });
      throw new Error(outcome.reason);
    case 'rejected':
      await knex('reminders')
        .where({ id: reminder.id, status: 'cancel_requested' })
        .update({ status: 'failed', last_error: outcome.reason });
      throw new UnrecoverableError(outcome.reason);
  }
};

import { cancelReminderJob } from './jobs.js';
import type { Knex } from 'knex';
import type { JobRequest } from '../shared/jobs/queues.js';
import { Reminder, type ReminderStatus, type ReminderType, type WeeklySummaryFigures } from './model.js';

/**
 * Every statement on the `reminders` table. No other module reads or changes a
 * reminder's status: the API plans and withdraws them here, the jobs move them through
 * OneSignal here, and erasure and the sweeper ask here.
 *
 * States: `pending` (planned, not yet handed to OneSignal) → `scheduled` (OneSignal
 * holds it). A withdrawn one ends `cancelled` at once when OneSignal never had it, or
 * goes `cancel_requested` until the cancel job has deleted it there. `skipped` (nothing
 * to send: not configured, expired, no device) and `failed` (retries spent) are final.
 */

const LIVE: readonly ReminderStatus[] = ['pending', 'scheduled'];
/** Still the worker's to finish: a withdrawal during a call waits for its outcome. */
const IN_HAND: readonly ReminderStatus[] = ['pending', 'cancel_requested'];

export async function findReminder(knex: Knex, id: string): Promise<Reminder | undefined> {
  return await knex<Reminder>('reminders').where({ id: id }).first();
}

/** The user's live progress reminder (at most one). */
export async function liveProgressReminder(
  trx: Knex.Transaction,
  userId: string,
): Promise<Pick<Reminder, 'id' | 'send_after' | 'aligner_number'> | undefined> {
  return (await trx('reminders')
    .where({ user_id: userId, type: 'progress' })
    .whereIn('status', LIVE)
    .first('id', 'send_after', 'aligner_number')) as
    Pick<Reminder, 'id' | 'send_after' | 'aligner_number'> | undefined;
}

/** The live wear reminder of one session (at most one). */
export async function liveWearReminder(
  trx: Knex.Transaction,
  sessionId: string,
): Promise<Pick<Reminder, 'id' | 'send_after'> | undefined> {
  return (await trx('reminders')
    .where({ wear_session_id: sessionId, type: 'wear' })
    .whereIn('status', LIVE)
    .first('id', 'send_after')) as Pick<Reminder, 'id' | 'send_after'> | undefined;
}

/** The user's live weekly summaries still to be sent after `now` (one per week at most). */
export async function liveWeeklySummaries(
  trx: Knex.Transaction,
  userId: string,
  now: Date,
): Promise<Array<Pick<Reminder, 'id' | 'send_after' | 'week_of'>>> {
  return (await trx('reminders')
    .where({ user_id: userId, type: 'weekly_summary' })
    .whereIn('status', LIVE)
    .where('send_after', '>', now)
    .select('id', 'send_after', 'week_of')) as Array<Pick<Reminder, 'id' | 'send_after' | 'week_of'>>;
}

/**
 * Fixes a weekly summary's figures, once: a duplicate job or a retry finds them set and
 * sends the same words. Returns the figures the row holds.
 */
export async function fixWeeklySummary(
  knex: Knex,
  id: string,
  figures: WeeklySummaryFigures,
): Promise<WeeklySummaryFigures | null> {
  await knex('reminders')
    .where({ id })
    .whereNull('summary')
    .update({ summary: JSON.stringify(figures), updated_at: knex.fn.now() });
  const row = (await knex('reminders').where({ id }).first('summary')) as
    Pick<Reminder, 'summary'> | undefined;
  return row?.summary ?? null;
}

/** A new `pending` reminder; its schedule job is for the caller to dispatch after commit. */
export async function createReminder(
  trx: Knex.Transaction,
  reminder: {
    user_id: string;
    type: ReminderType;
    send_after: Date;
    aligner_number?: number;
    wear_session_id?: string;
    week_of?: string;
    /** A progress reminder made by its readiness check (./readiness-job.ts). */
    readiness?: { checked_at: Date; suggested_extra_days: number; average_wear_minutes: number | null };
  },
): Promise<string> {
  const { readiness, ...fields } = reminder;
  const [created] = (await trx('reminders')
    .insert({
      ...fields,
      ...(readiness
        ? {
            readiness_checked_at: readiness.checked_at,
            suggested_extra_days: readiness.suggested_extra_days,
            average_wear_minutes: readiness.average_wear_minutes,
          }
        : {}),
    })
    .returning('id')) as Array<{ id: string }>;
  return created!.id;
}

/**
 * Withdraws a live reminder inside the caller's transaction. One never handed to
 * OneSignal ends `cancelled` at once; one that may exist there (scheduled, or a
 * schedule call already sent) becomes `cancel_requested` and its cancel job is added to
 * `jobs`. The conditions are evaluated under the row lock, so this and the schedule
 * job's claim cannot both win.
 */
export async function withdrawReminder(
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
    .whereIn('status', LIVE)
    .update({ status: 'cancel_requested', status_reason: reason, updated_at: trx.fn.now() });
  if (viaOneSignal > 0) jobs.push({ job: cancelReminderJob, rowId: reminderId });
}

/**
 * The schedule job's claim: from here a cancel must go through OneSignal (the call may
 * create it). Returns the user's sub and erasure mark in the same round trip, or
 * undefined when the reminder was withdrawn meanwhile. A reminder always has its user
 * (the foreign key cascades).
 */
export async function claimForScheduling(
  knex: Knex,
  id: string,
  options: { retryingUnanswered: boolean; attempts: number; now: Date },
): Promise<{ cognito_sub: string; deleted_at: Date | null } | undefined> {
  const [user] = (await knex('reminders')
    .updateFrom('users')
    .where('reminders.id', id)
    .whereIn('reminders.status', options.retryingUnanswered ? IN_HAND : ['pending'])
    .where('users.id', knex.ref('reminders.user_id'))
    .update({ schedule_sent_at: options.now, attempts: options.attempts, updated_at: options.now })
    .returning(['users.cognito_sub', 'users.deleted_at'])) as Array<{
    cognito_sub: string;
    deleted_at: Date | null;
  }>;
  return user;
}

/**
 * OneSignal created the notification: its id is recorded and a pending reminder is
 * `scheduled`. A reminder withdrawn during the call stays `cancel_requested` (its
 * notification must now be deleted). Returns the status.
 */
export async function recordScheduled(
  knex: Knex,
  id: string,
  onesignalId: string,
): Promise<ReminderStatus | undefined> {
  const [row] = (await knex('reminders')
    .where({ id })
    .update({
      onesignal_id: onesignalId,
      status: knex.raw(`case when status = 'pending' then 'scheduled' else status end`),
      last_error: null,
      updated_at: knex.fn.now(),
    })
    .returning('status')) as Array<{ status: ReminderStatus }>;
  return row?.status;
}

/** A call that failed and will be retried: its reason, for whoever reads the row. */
export async function recordError(knex: Knex, id: string, reason: string): Promise<void> {
  await knex('reminders').where({ id }).update({ last_error: reason, updated_at: knex.fn.now() });
}

/**
 * Ends a reminder the worker was handling. If a cancel was requested meanwhile, the
 * reminder ends `cancelled` instead of `outcome`: nothing is live at OneSignal either way.
 * Returns the status written, or undefined when the row had already moved on.
 */
export async function settleReminder(
  knex: Knex,
  id: string,
  outcome: Extract<ReminderStatus, 'skipped' | 'failed' | 'cancelled'>,
  fields: { status_reason?: string | null; last_error?: string | null },
): Promise<ReminderStatus | undefined> {
  const [row] = (await knex('reminders')
    .where({ id })
    .whereIn('status', IN_HAND)
    .update({
      ...fields,
      status: knex.raw(`case when status = 'cancel_requested' then 'cancelled' else ? end`, [outcome]),
      updated_at: knex.fn.now(),
    })
    .returning('status')) as Array<{ status: ReminderStatus }>;
  return row?.status;
}

/** A cancel that cannot succeed: the reminder ends `failed` (it may still be live at OneSignal). */
export async function failCancel(knex: Knex, id: string, lastError?: string): Promise<void> {
  await knex('reminders')
    .where({ id, status: 'cancel_requested' })
    .update({ status: 'failed', ...(lastError ? { last_error: lastError } : {}) });
}

/** Every reminder of an account being erased that may still reach a phone. */
export async function remindersToWithdrawForErasure(knex: Knex, userId: string): Promise<Reminder[]> {
  return await knex<Reminder>('reminders')
    .where({ user_id: userId })
    .whereIn('status', [...LIVE, 'cancel_requested']);
}

/** Erasure withdrew it (deleted at OneSignal first, when it was there). */
export async function markErased(knex: Knex, id: string): Promise<void> {
  await knex('reminders')
    .where({ id })
    .update({ status: 'cancelled', status_reason: 'account_erased', updated_at: knex.fn.now() });
}

/** A user's reminders, oldest first (the data export). */
export async function remindersOf(knex: Knex, userId: string): Promise<Reminder[]> {
  return await knex<Reminder>('reminders').where({ user_id: userId }).orderBy('created_at');
}

/** One page of a user's reminders, newest first, after a `(created_at, id)` cursor. */
export async function pageOfReminders(
  knex: Knex,
  userId: string,
  query: {
    status?: ReminderStatus | undefined;
    type?: ReminderType | undefined;
    limit: number;
    cursorColumn: Knex.Raw;
    after?: readonly unknown[] | undefined;
  },
): Promise<Array<Reminder & { cursor_at: string }>> {
  return (await knex<Reminder>('reminders')
    .select('*', query.cursorColumn)
    .where({ user_id: userId })
    .modify((q) => {
      if (query.status) void q.where({ status: query.status });
      if (query.type) void q.where({ type: query.type });
      if (query.after)
        void q.whereRaw('(created_at, id) < (?::timestamptz, ?::uuid)', [
          ...query.after,
        ] as Knex.RawBinding[]);
    })
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(query.limit + 1)) as Array<Reminder & { cursor_at: string }>;
}

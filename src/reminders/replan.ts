import { scheduleReminderJob } from './jobs.js';
import type { Knex } from 'knex';
import { todayIn } from '../shared/time/local-time.js';
import { deriveTreatment, type TreatmentPlan } from '../treatment/plan-rules.js';
import type { JobRequest } from '../shared/jobs/queues.js';
import {
  handOverAt,
  planProgressReminder,
  planWearReminder,
  planWeeklySummary,
  WEEKLY_SUMMARY_LEAD_MINUTES,
} from './planning.js';
import {
  createReminder,
  liveProgressReminder,
  liveWeeklySummaries,
  liveWearReminder,
  withdrawReminder,
} from './repository.js';
import { loadReminderSettings } from './settings.js';

/**
 * Keeping reminders in step with what they remind of. Each function runs in the
 * caller's transaction and adds the jobs to dispatch after commit to `jobs`: a
 * reminder that already matches its plan is left alone; otherwise the old one is
 * withdrawn and the new one created.
 */

/**
 * The user's zone, their row locked for the transaction: one re-plan per user at a time
 * (concurrent changes would otherwise both insert). Undefined for an account being erased.
 */
async function lockUserForReplan(
  trx: Knex.Transaction,
  userId: string,
): Promise<{ timezone: string } | undefined> {
  return (await trx('users').where({ id: userId }).whereNull('deleted_at').forUpdate().first('timezone')) as
    { timezone: string } | undefined;
}

/**
 * Makes the user's progress reminder match their treatment and settings. Call it after
 * any change of plan, aligner, extension, settings or time zone.
 */
export async function replanProgressReminder(
  trx: Knex.Transaction,
  userId: string,
  jobs: JobRequest[],
  now: Date = new Date(),
): Promise<void> {
  const user = await lockUserForReplan(trx, userId);
  if (!user) return;
  const treatment = (await trx('treatments').where({ user_id: userId }).first()) as TreatmentPlan | undefined;
  const settings = await loadReminderSettings(trx, userId);
  const plan = treatment
    ? planProgressReminder({
        ...treatment,
        next_change_on: deriveTreatment(treatment, todayIn(user.timezone, now)).next_change_on,
        settings,
        zone: user.timezone,
        now,
      })
    : null;

  const live = await liveProgressReminder(trx, userId);
  if (
    live &&
    plan &&
    live.send_after.getTime() === plan.send_after.getTime() &&
    live.aligner_number === plan.aligner_number
  )
    return;
  if (live) await withdrawReminder(trx, live.id, 'replanned', jobs);
  if (!plan) return;
  const id = await createReminder(trx, {
    user_id: userId,
    type: 'progress',
    send_after: plan.send_after,
    aligner_number: plan.aligner_number,
  });
  jobs.push({ job: scheduleReminderJob, rowId: id, runAt: handOverAt(plan.send_after, now, 'progress') });
}

export interface WearSessionTimes {
  id: string;
  user_id: string;
  started_at: Date;
  ended_at: Date | null;
}

/**
 * Makes the wear reminder of one session match it: a session that starts gets "put
 * your aligners back in" after the configured delay; ending or deleting it, or moving
 * its start, withdraws or moves the reminder. Pass `null` as the session when it was
 * deleted.
 */
export async function replanWearReminder(
  trx: Knex.Transaction,
  sessionId: string,
  session: WearSessionTimes | null,
  jobs: JobRequest[],
  now: Date = new Date(),
): Promise<void> {
  const plan = session
    ? planWearReminder({ session, settings: await loadReminderSettings(trx, session.user_id), now })
    : null;
  const live = await liveWearReminder(trx, sessionId);
  if (live && plan && live.send_after.getTime() === plan.send_after.getTime()) return;
  if (live) await withdrawReminder(trx, live.id, session?.ended_at ? 'session_ended' : 'replanned', jobs);
  if (!plan || !session) return;
  const id = await createReminder(trx, {
    user_id: session.user_id,
    type: 'wear',
    send_after: plan.send_after,
    wear_session_id: sessionId,
  });
  jobs.push({ job: scheduleReminderJob, rowId: id, runAt: handOverAt(plan.send_after, now, 'wear') });
}

/** After the wear settings change: every open session's reminder follows them. */
export async function replanOpenWearReminders(
  trx: Knex.Transaction,
  userId: string,
  jobs: JobRequest[],
  now = new Date(),
): Promise<void> {
  const open = (await trx('wear_sessions')
    .where({ user_id: userId })
    .whereNull('ended_at')
    .select('id', 'user_id', 'started_at', 'ended_at')) as WearSessionTimes[];
  for (const session of open) await replanWearReminder(trx, session.id, session, jobs, now);
}

/**
 * Makes the user's weekly summaries match their settings and zone
 * (docs/reminders.md#weekly-summary): the next Sunday's is planned, or kept when it
 * already matches. A live one within its lead is being handed over or sent and is left
 * alone, unless the push was switched off. Call it after a change of settings or zone,
 * and once a week's summary is handed over (with `now` at its send, to plan the next).
 * An account being erased is left to its erasure, which withdraws every reminder.
 */
export async function replanWeeklySummary(
  trx: Knex.Transaction,
  userId: string,
  jobs: JobRequest[],
  now: Date = new Date(),
): Promise<void> {
  const user = await lockUserForReplan(trx, userId);
  if (!user) return;
  const settings = await loadReminderSettings(trx, userId);
  const live = await liveWeeklySummaries(trx, userId, now);
  // One being handed over takes its week: the plan starts after it.
  const beyondLead = now.getTime() + WEEKLY_SUMMARY_LEAD_MINUTES * 60_000;
  const planFrom = Math.max(
    now.getTime(),
    ...live.map((row) => row.send_after.getTime()).filter((at) => at <= beyondLead),
  );
  const plan = planWeeklySummary({ settings, zone: user.timezone, now: new Date(planFrom) });
  let kept = false;
  for (const row of live) {
    const matches =
      plan !== null && row.week_of === plan.week_of && row.send_after.getTime() === plan.send_after.getTime();
    if (matches) kept = true;
    else if (!settings.weekly_summary) await withdrawReminder(trx, row.id, 'weekly_summary_off', jobs);
    else if (row.send_after.getTime() > beyondLead) await withdrawReminder(trx, row.id, 'replanned', jobs);
  }
  if (!plan || kept) return;
  const id = await createReminder(trx, {
    user_id: userId,
    type: 'weekly_summary',
    send_after: plan.send_after,
    week_of: plan.week_of,
  });
  jobs.push({
    job: scheduleReminderJob,
    rowId: id,
    runAt: handOverAt(plan.send_after, now, 'weekly_summary'),
  });
}

import { scheduleReminderJob } from './jobs.js';
import type { Knex } from 'knex';
import { todayIn } from '../shared/time/local-time.js';
import { deriveTreatment, type TreatmentPlan } from '../treatment/plan-rules.js';
import type { JobRequest } from '../shared/jobs/queues.js';
import { handOverAt, planProgressReminder, planWearReminder } from './planning.js';
import { createReminder, liveProgressReminder, liveWearReminder, withdrawReminder } from './repository.js';
import { loadReminderSettings } from './settings.js';

/**
 * Keeping reminders in step with what they remind of. Each function runs in the
 * caller's transaction and adds the jobs to dispatch after commit to `jobs`: a
 * reminder that already matches its plan is left alone; otherwise the old one is
 * withdrawn and the new one created.
 */

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
  // One re-plan per user at a time: concurrent changes would otherwise both insert.
  const user = (await trx('users')
    .where({ id: userId })
    .whereNull('deleted_at')
    .forUpdate()
    .first('timezone')) as { timezone: string } | undefined;
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
  jobs.push({ job: scheduleReminderJob, rowId: id, runAt: handOverAt(plan.send_after, now) });
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
  jobs.push({ job: scheduleReminderJob, rowId: id, runAt: handOverAt(plan.send_after, now) });
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

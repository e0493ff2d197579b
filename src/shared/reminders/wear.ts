import type { Knex } from 'knex';
import { handOverAt, planWearReminder } from '../domain/reminders.js';
import type { JobRequest } from '../queues.js';
import { cancelReminder } from './cancel.js';
import { loadReminderSettings } from './settings.js';

export interface WearSessionTimes {
  id: string;
  user_id: string;
  started_at: Date;
  ended_at: Date | null;
}

/**
 * Makes the wear reminder of one session match it (SPEC §4): a session that starts gets
 * "put your aligners back in" after the configured delay; ending or deleting it, or
 * moving its start, cancels or moves the reminder. Runs in the caller's transaction.
 * Pass `null` as the session when it was deleted.
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
  const live = (await trx('reminders')
    .where({ wear_session_id: sessionId, type: 'wear' })
    .whereIn('status', ['pending', 'scheduled'])
    .first('id', 'send_after')) as { id: string; send_after: Date } | undefined;
  if (live && plan && live.send_after.getTime() === plan.send_after.getTime()) return;
  if (live) await cancelReminder(trx, live.id, session?.ended_at ? 'session_ended' : 'replanned', jobs);
  if (!plan || !session) return;
  const [created] = (await trx('reminders')
    .insert({
      user_id: session.user_id,
      type: 'wear',
      send_after: plan.send_after,
      wear_session_id: sessionId,
    })
    .returning('id')) as Array<{ id: string }>;
  jobs.push({ job: 'scheduleReminder', rowId: created!.id, runAt: handOverAt(plan.send_after, now) });
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

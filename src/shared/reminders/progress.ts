import type { Knex } from 'knex';
import { handOverAt, planProgressReminder } from '../domain/reminders.js';
import { todayIn } from '../domain/local-time.js';
import { deriveTreatment, type TreatmentPlan } from '../domain/treatment.js';
import type { JobRequest } from '../queues.js';
import { cancelReminder } from './cancel.js';
import { loadReminderSettings } from './settings.js';

/**
 * Makes the user's progress reminder match their treatment and settings (SPEC §4), in
 * the caller's transaction: unchanged when it already does; otherwise the old one is
 * cancelled and the new one created, with its schedule job dispatched after commit.
 * Call it after any change of plan, aligner, extension, settings or time zone.
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

  const live = (await trx('reminders')
    .where({ user_id: userId, type: 'progress' })
    .whereIn('status', ['pending', 'scheduled'])
    .first('id', 'send_after', 'aligner_number')) as
    { id: string; send_after: Date; aligner_number: number } | undefined;
  if (
    live &&
    plan &&
    live.send_after.getTime() === plan.send_after.getTime() &&
    live.aligner_number === plan.aligner_number
  )
    return;
  if (live) await cancelReminder(trx, live.id, 'replanned', jobs);
  if (!plan) return;
  const [created] = (await trx('reminders')
    .insert({
      user_id: userId,
      type: 'progress',
      send_after: plan.send_after,
      aligner_number: plan.aligner_number,
    })
    .returning('id')) as Array<{ id: string }>;
  jobs.push({ job: 'scheduleReminder', rowId: created!.id, runAt: handOverAt(plan.send_after, now) });
}

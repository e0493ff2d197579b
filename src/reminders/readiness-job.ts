import type { Knex } from 'knex';
import type { Processor } from '../shared/jobs/context.js';
import { commitThenDispatch } from '../shared/db/transaction.js';
import { AppError } from '../shared/errors.js';
import { lockUser } from '../treatment/locks.js';
import { readTreatment } from '../treatment/plan.js';
import { scheduleReminderJob } from './jobs.js';
import type { Reminder } from './model.js';
import { READINESS_CHECK_MIN_LEAD_MINUTES } from './planning.js';
import { createReminder, findReminder, withdrawReminder } from './repository.js';

const MIN_LEAD_MS = READINESS_CHECK_MIN_LEAD_MINUTES * 60_000;

/**
 * The readiness check of a progress reminder (docs/reminders.md#readiness-check), made
 * shortly before it is sent. How the current aligner was worn (GET /treatment's
 * `current_aligner_wear`) decides: without a deficit worth an extra day the reminder
 * stays as OneSignal holds it, marked checked; with one, it is withdrawn (its OneSignal
 * notification cancelled) and a new one at the same time replaces it, its text made of
 * the figures kept on its row. Acts only on a scheduled, unchecked progress reminder,
 * so a duplicate job or a sweep re-enqueue does nothing more.
 */
export const processCheckReadiness: Processor = async (job, { knex, config, dispatcher }) => {
  const now = new Date();
  const reminder = await findReminder(knex, job.data.rowId);
  if (
    !reminder ||
    reminder.type !== 'progress' ||
    reminder.status !== 'scheduled' ||
    reminder.readiness_checked_at
  )
    return { skipped: reminder?.readiness_checked_at ? 'checked' : (reminder?.status ?? 'missing') };
  const markChecked = async (outcome: string) => {
    await knex('reminders')
      .where({ id: reminder.id })
      .whereNull('readiness_checked_at')
      .update({ readiness_checked_at: now, updated_at: knex.fn.now() });
    return { checked: outcome };
  };
  // Too close to the send: a cancel might not beat it, and two pushes would go.
  if (reminder.send_after.getTime() - now.getTime() < MIN_LEAD_MS) return markChecked('too_late');

  const wear = await currentAlignerWear(knex, reminder, config.WEAR_SILENT_DAYS_ALLOWED, now);
  if (!wear || wear.suggested_extra_days === 0) return markChecked('ready');

  const replaced = await commitThenDispatch(knex, dispatcher, async (trx, jobs) => {
    await lockUser(trx, reminder.user_id); // the order every re-plan takes (src/treatment/locks.ts)
    const current = (await trx('reminders').where({ id: reminder.id }).forUpdate().first()) as Reminder;
    if (current.status !== 'scheduled' || current.readiness_checked_at) return null;
    await withdrawReminder(trx, reminder.id, 'wear_deficit', jobs);
    const id = await createReminder(trx, {
      user_id: reminder.user_id,
      type: 'progress',
      send_after: reminder.send_after,
      aligner_number: reminder.aligner_number!,
      readiness: {
        checked_at: now,
        suggested_extra_days: wear.suggested_extra_days,
        average_wear_minutes: wear.average_wear_minutes,
      },
    });
    jobs.push({ job: scheduleReminderJob, rowId: id });
    return id;
  });
  return replaced
    ? { replacedBy: replaced, suggested_extra_days: wear.suggested_extra_days }
    : { skipped: 'changed meanwhile' };
};

/** The current aligner's wear, when the reminder is still for the aligner after it; null otherwise. */
async function currentAlignerWear(knex: Knex, reminder: Reminder, silentDaysAllowed: number, now: Date) {
  const user = (await knex('users').where({ id: reminder.user_id }).first('cognito_sub')) as
    { cognito_sub: string } | undefined;
  if (!user) return null;
  try {
    const treatment = await readTreatment(knex, user.cognito_sub, { silentDaysAllowed }, now);
    return treatment.current_aligner + 1 === reminder.aligner_number ? treatment.current_aligner_wear : null;
  } catch (error) {
    if (error instanceof AppError && error.status === 404) return null; // erased, or the plan withdrawn meanwhile
    throw error;
  }
}

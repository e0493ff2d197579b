import type { Knex } from 'knex';
import { planOf, type Treatment } from './model.js';
import type { TreatmentExtension } from './extension-model.js';
import { commitThenDispatch } from '../shared/db/transaction.js';
import { todayIn } from '../shared/time/local-time.js';
import { applyExtension } from './plan-rules.js';
import { validationFailed } from '../shared/errors.js';
import type { Dispatcher } from '../shared/jobs/dispatcher.js';
import { replanProgressReminder } from '../reminders/replan.js';
import { fromTreatmentError } from './domain-errors.js';
import { lockExistingTreatment, lockUser } from './locks.js';
import { presentExtension, presentTreatment } from './present.js';
import type { ExtensionBody } from './schema.js';

/**
 * Extensions of one aligner, in all. The request schema bounds each request (1–30 days, docs/resources.md#extensions), not
 * their sum; a year keeps every derived date a real one whatever a client repeats.
 */
export const MAX_EXTENSION_DAYS_PER_ALIGNER = 365;

/**
 * `POST /treatment/extensions` (docs/resources.md#extensions): the current aligner is worn `days` longer,
 * which pushes `next_change_on` (and the progress reminder) back. The history row and
 * the plan change commit together.
 */
export async function recordExtension(
  knex: Knex,
  dispatcher: Dispatcher,
  userId: string,
  body: ExtensionBody,
  now = new Date(),
) {
  return commitThenDispatch(knex, dispatcher, async (trx, jobs) => {
    const { timezone } = await lockUser(trx, userId);
    const treatment = await lockExistingTreatment(trx, userId);
    const result = applyExtension(planOf(treatment), body.days);
    if (!result.ok) throw fromTreatmentError(result.error);
    if (result.plan.extension_days > MAX_EXTENSION_DAYS_PER_ALIGNER) {
      throw validationFailed(
        [
          {
            path: 'body.days',
            message: `would extend aligner ${treatment.current_aligner} by more than ${MAX_EXTENSION_DAYS_PER_ALIGNER} days in all (already ${treatment.extension_days})`,
          },
        ],
        'The request body is not valid',
      );
    }

    const [extension] = (await trx('treatment_extensions')
      .insert({
        user_id: userId,
        aligner_number: treatment.current_aligner,
        days: body.days,
        reason: body.reason ?? null,
      })
      .returning('*')) as TreatmentExtension[];
    const [updated] = (await trx('treatments')
      .where({ user_id: userId })
      .update({ extension_days: result.plan.extension_days, updated_at: trx.fn.now() })
      .returning('*')) as Treatment[];
    await replanProgressReminder(trx, userId, jobs, now);
    return {
      extension: presentExtension(extension!),
      treatment: presentTreatment(updated!, todayIn(timezone, now)),
    };
  });
}

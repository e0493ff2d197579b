import type { Knex } from 'knex';
import { AlignerChange } from './aligner-change-model.js';
import { planOf, type Treatment } from './model.js';
import { commitThenDispatch } from '../shared/db/transaction.js';
import { todayIn } from '../shared/time/local-time.js';
import { planAlignerChange } from './plan-rules.js';
import { conflict } from '../shared/errors.js';
import type { Dispatcher } from '../shared/jobs/dispatcher.js';
import { replanProgressReminder } from '../reminders/replan.js';
import { cursorTimestamp, decodeCursor, toPage } from '../api/pagination.js';
import { fromTreatmentError } from './domain-errors.js';
import { lockExistingTreatment, lockUser } from './locks.js';
import { presentAlignerChange, presentTreatment } from './present.js';
import { repeatedChange } from './repeated-change.js';
import type { AlignerChangeBody, AlignerChangesQuery } from './schema.js';

/**
 * `POST /treatment/aligner-changes` (docs/resources.md#aligner-changes): the history row, the new plan and the
 * re-planned progress reminder, in one transaction. The plan is read under its lock,
 * so concurrent changes apply one after the other, each to the plan the previous one
 * left (see repeatedChange for the double tap).
 */
export async function recordAlignerChange(
  knex: Knex,
  dispatcher: Dispatcher,
  userId: string,
  body: AlignerChangeBody,
  now = new Date(),
) {
  return commitThenDispatch(knex, dispatcher, async (trx, jobs) => {
    const { timezone } = await lockUser(trx, userId);
    const treatment = await lockExistingTreatment(trx, userId);
    const today = todayIn(timezone, now);
    const plan = planOf(treatment);
    const result = planAlignerChange(plan, body, today);
    if (!result.ok) throw fromTreatmentError(result.error);
    const repeated = repeatedChange(plan, body, today);
    if (repeated)
      throw conflict(`This aligner change is already recorded: ${repeated}`, 'aligner_already_changed');

    const next = result.plan;
    const [change] = (await trx('aligner_changes')
      .insert({
        user_id: userId,
        aligner_number: next.current_aligner,
        changed_on: next.current_aligner_started_on,
      })
      .returning('*')) as AlignerChange[];
    const [updated] = (await trx('treatments')
      .where({ user_id: userId })
      .update({
        status: next.status,
        current_aligner: next.current_aligner,
        current_aligner_started_on: next.current_aligner_started_on,
        extension_days: next.extension_days,
        updated_at: trx.fn.now(),
      })
      .returning('*')) as Treatment[];
    await replanProgressReminder(trx, userId, jobs, now);
    return { change: presentAlignerChange(change!), treatment: presentTreatment(updated!, today) };
  });
}

/**
 * `GET /treatment/aligner-changes`: newest switch first (by the date it happened, then
 * by when it was recorded), keyset-paginated on the history index.
 */
export async function listAlignerChanges(knex: Knex, userId: string, query: AlignerChangesQuery) {
  const after = decodeCursor(query.cursor, ['date', 'timestamp', 'uuid']);
  const rows = (await knex<AlignerChange>('aligner_changes')
    .select('*', knex.raw(cursorTimestamp('created_at')))
    .where({ user_id: userId })
    .modify((builder) => {
      if (after) {
        void builder.whereRaw('(changed_on, created_at, id) < (?::date, ?::timestamptz, ?::uuid)', after);
      }
    })
    .orderBy([
      { column: 'changed_on', order: 'desc' },
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(query.limit + 1)) as Array<AlignerChange & { cursor_at: string }>;
  return toPage(rows, query.limit, (row) => [row.changed_on, row.cursor_at, row.id], presentAlignerChange);
}

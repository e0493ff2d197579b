import type { Knex } from 'knex';
import type { WearSession } from './model.js';
import { commitThenDispatch } from '../shared/db/transaction.js';
import { notFound } from '../shared/errors.js';
import type { Dispatcher } from '../shared/jobs/dispatcher.js';
import { replanWearReminder } from '../reminders/replan.js';
import { lockUser } from '../treatment/locks.js';
import { explainEditFailure } from './session-conflicts.js';
import type { EditSessionBody } from './schema.js';

/**
 * `PATCH /wear-sessions/{id}` (docs/resources.md#wear-sessions): ends or edits a session in one statement.
 * Postgres checks the result against the stored values it keeps (ends after start,
 * no overlap), so two edits racing cannot together break a rule. Ending the session
 * or moving its start cancels or moves its wear reminder (docs/reminders.md#wear-reminders).
 */
export async function editSession(
  knex: Knex,
  dispatcher: Dispatcher,
  userId: string,
  sessionId: string,
  body: EditSessionBody,
  now = new Date(),
): Promise<WearSession> {
  const changes = {
    ...(body.started_at !== undefined ? { started_at: new Date(body.started_at) } : {}),
    ...(body.ended_at !== undefined ? { ended_at: new Date(body.ended_at) } : {}),
    ...(body.reason !== undefined ? { reason: body.reason } : {}),
  };
  const timesChanged = body.started_at !== undefined || body.ended_at !== undefined;
  try {
    return await commitThenDispatch(knex, dispatcher, async (trx, jobs) => {
      await lockUser(trx, userId); // the order every wear write takes: see start-session.ts
      const [row] = (await trx('wear_sessions')
        .where({ id: sessionId, user_id: userId })
        .update({ ...changes, updated_at: trx.fn.now() })
        .returning('*')) as WearSession[];
      if (!row) throw notFound('No such wear session');
      if (timesChanged) await replanWearReminder(trx, row.id, row, jobs, now);
      return row;
    });
  } catch (error) {
    throw explainEditFailure(error, body);
  }
}

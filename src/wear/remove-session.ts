import type { Knex } from 'knex';
import { commitThenDispatch } from '../shared/db/transaction.js';
import { notFound } from '../shared/errors.js';
import type { Dispatcher } from '../shared/jobs/dispatcher.js';
import { replanWearReminder } from '../reminders/replan.js';
import { lockUser } from '../treatment/locks.js';

/** `DELETE /wear-sessions/{id}` (docs/resources.md#wear-sessions); the session's wear reminder, if still live, is cancelled. */
export async function removeSession(
  knex: Knex,
  dispatcher: Dispatcher,
  userId: string,
  sessionId: string,
): Promise<void> {
  await commitThenDispatch(knex, dispatcher, async (trx, jobs) => {
    await lockUser(trx, userId); // the order every wear write takes: see start-session.ts
    const deleted = await trx('wear_sessions').where({ id: sessionId, user_id: userId }).delete();
    if (deleted === 0) throw notFound('No such wear session');
    await replanWearReminder(trx, sessionId, null, jobs);
  });
}

import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { WearSession } from './model.js';
import { commitThenDispatch } from '../shared/db/transaction.js';
import { notFound } from '../shared/errors.js';
import type { Dispatcher } from '../shared/jobs/dispatcher.js';
import { replanWearReminder } from '../reminders/replan.js';
import { lockUser } from '../treatment/locks.js';
import { explainStartFailure } from './session-conflicts.js';
import { findSession, ownSessionOrNotFound } from './session-reads.js';
import type { StartSessionBody } from './schema.js';

/**
 * `POST /wear-sessions` (docs/resources.md#wear-sessions): starts an open session and plans its wear reminder
 * (docs/reminders.md#wear-reminders) in the same transaction, or logs one already over
 * (`ended_at`: the app forgot it, or was offline), which has no reminder. A client id already stored is a retry: the
 * stored session is the answer whatever the retry says (the first write wins), and
 * another user's id is a 404 like any object of theirs (docs/auth.md#object-ownership).
 *
 * Every write to a user's sessions takes the user lock first. Without it, two starts
 * racing can each put their row in the exclusion constraint's index before either
 * checks it, wait on each other, and one is killed by Postgres's deadlock detector a
 * second later (about 3 % of races on a 2-core machine): a 409 `concurrent_update`
 * instead of `session_already_open`. Under the lock the second start finds the first
 * committed. It also orders session writes after a settings change, whose re-plan of
 * the open session's reminder would otherwise miss a session started meanwhile.
 */
export async function startSession(
  knex: Knex,
  dispatcher: Dispatcher,
  userId: string,
  body: StartSessionBody,
  now = new Date(),
): Promise<{ session: WearSession; created: boolean }> {
  if (body.id) {
    const stored = await findSession(knex, body.id);
    if (stored) return { session: ownSessionOrNotFound(stored, userId), created: false };
  }
  const id = body.id ?? randomUUID();
  let inserted: WearSession | undefined;
  try {
    inserted = await commitThenDispatch(knex, dispatcher, async (trx, jobs) => {
      await lockUser(trx, userId);
      const [row] = (await trx('wear_sessions')
        .insert({
          id,
          user_id: userId,
          started_at: body.started_at ? new Date(body.started_at) : now,
          ended_at: body.ended_at ? new Date(body.ended_at) : null,
          reason: body.reason ?? null,
        })
        // A concurrent retry with the same id stored it first: answered below, not an error.
        .onConflict('id')
        .ignore()
        .returning('*')) as WearSession[];
      if (row) await replanWearReminder(trx, row.id, row, jobs, now);
      return row;
    });
  } catch (error) {
    throw await explainStartFailure(knex, userId, error, body);
  }
  if (inserted) return { session: inserted, created: true };
  const stored = await findSession(knex, id);
  if (!stored) throw notFound('No such wear session'); // stored by the retry's twin, then deleted
  return { session: ownSessionOrNotFound(stored, userId), created: false };
}

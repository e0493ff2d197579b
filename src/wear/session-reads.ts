import type { Knex } from 'knex';
import { WearSession } from './model.js';
import { notFound } from '../shared/errors.js';

/** Half-open `[from, to)`; an open end is unbounded. Either end may be an SQL expression (in a subquery). */
export interface InstantRange {
  from?: Date | Knex.Raw;
  to?: Date | Knex.Raw;
}

/**
 * A user's sessions that overlap `range` (an open session lasts until now, and
 * beyond). Sessions never overlap, so the only one that starts before `from` and can
 * reach past it is the latest such one: starting the scan of wear_sessions_user_started
 * at its start keeps the read to the range, however long the history is. `userId`
 * may be a reference to an outer query's column (`knex.ref('u.id')`), for a subquery.
 */
export function sessionsOverlapping(
  knex: Knex,
  userId: string | Knex.Ref<string, Record<string, string>>,
  range: InstantRange,
): Knex.QueryBuilder {
  return knex('wear_sessions')
    .where('user_id', userId)
    .modify((query) => {
      if (range.to) void query.where('started_at', '<', range.to);
      if (range.from) {
        void query
          .where(
            'started_at',
            '>=',
            knex.raw(
              'coalesce((select max(started_at) from wear_sessions where user_id = ? and started_at < ?), ?)',
              [userId, range.from, range.from],
            ),
          )
          .where((overlap) => void overlap.whereNull('ended_at').orWhere('ended_at', '>', range.from!));
      }
    });
}

/** A session of this user only (docs/auth.md#object-ownership): another user's id and an unknown one are the same 404. */
export function ownSessionOrNotFound(session: WearSession | undefined, userId: string): WearSession {
  if (!session || session.user_id !== userId) throw notFound('No such wear session');
  return session;
}

export async function findSession(knex: Knex, id: string): Promise<WearSession | undefined> {
  return (await knex('wear_sessions').where({ id }).first()) as WearSession | undefined;
}

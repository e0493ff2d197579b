import type { Knex } from 'knex';
import type { WearSession } from './model.js';
import { cursorTimestamp, decodeCursor, toPage } from '../api/pagination.js';
import { presentSession } from './present.js';
import type { ListSessionsQuery } from './schema.js';
import { sessionsOverlapping } from './session-reads.js';

/**
 * `GET /wear-sessions?from&to` (docs/resources.md#wear-sessions): the sessions overlapping `[from, to)`,
 * newest first, keyset-paginated on (started_at, id).
 */
export async function listSessions(knex: Knex, userId: string, query: ListSessionsQuery) {
  const after = decodeCursor(query.cursor, ['timestamp', 'uuid']);
  const rows = (await sessionsOverlapping(knex, userId, {
    ...(query.from ? { from: new Date(query.from) } : {}),
    ...(query.to ? { to: new Date(query.to) } : {}),
  })
    .select('*', knex.raw(cursorTimestamp('started_at')))
    .modify((builder) => {
      if (after) void builder.whereRaw('(started_at, id) < (?::timestamptz, ?::uuid)', after);
    })
    .orderBy([
      { column: 'started_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(query.limit + 1)) as Array<WearSession & { cursor_at: string }>;
  return toPage(rows, query.limit, (row) => [row.cursor_at, row.id], presentSession);
}

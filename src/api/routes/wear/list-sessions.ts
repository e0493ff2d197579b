import type { Knex } from 'knex';
import type { WearSession } from '../../../shared/db/models/wear-session.js';
import { validationFailed } from '../../../shared/errors.js';
import { cursorTimestamp, decodeCursor, toPage, type CursorKey } from '../../pagination.js';
import { presentSession } from './present.js';
import type { ListSessionsQuery } from './schema.js';
import { sessionsOverlapping } from './session-reads.js';

/**
 * `GET /wear-sessions?from&to` (SPEC §3): the sessions overlapping `[from, to)`,
 * newest first, keyset-paginated on (started_at, id).
 */
export async function listSessions(knex: Knex, userId: string, query: ListSessionsQuery) {
  const after = sessionCursor(decodeCursor(query.cursor, 2));
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

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A well-formed cursor of another shape must not reach Postgres' casts: the same 422 as decodeCursor's. */
function sessionCursor(key: CursorKey | undefined): CursorKey | undefined {
  if (key === undefined) return undefined;
  const [time, id] = key;
  if (
    typeof time === 'string' &&
    CURSOR_TIME.test(time) &&
    !Number.isNaN(Date.parse(time)) &&
    typeof id === 'string' &&
    UUID.test(id)
  ) {
    return key;
  }
  throw validationFailed(
    [{ path: 'query.cursor', message: 'is not a cursor returned by this endpoint' }],
    'The cursor is not valid',
  );
}

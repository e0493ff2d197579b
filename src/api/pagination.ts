import { isLocalDate } from '../shared/time/local-time.js';
import { z } from 'zod';
import { AppError } from '../shared/errors.js';

/**
 * Keyset pagination (docs/conventions.md#pagination): `?limit=` (default 50, max 100) and an opaque `cursor`.
 * The cursor encodes the sort key of the last item returned, so pages stay stable
 * while rows are added, and each page is one indexed range read.
 */
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 100;

export const paginationQuery = {
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(1)
    .max(MAX_LIMIT)
    .default(DEFAULT_LIMIT),
  cursor: z.string().max(512).optional(),
};

export type CursorKey = Array<string | number>;

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** What each part of a cursor is; decodeCursor checks it before it reaches a Postgres cast. */
const CURSOR_PARTS = {
  /** `cursorTimestamp`'s text: UTC with microseconds, a real instant. */
  timestamp: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{6}Z$/)
    .refine((text) => isLocalDate(text.slice(0, 10))),
  date: z.string().refine(isLocalDate),
  uuid: z.uuid(),
  text: z.string(),
  /** A float4 read back from Postgres (its shortest text round-trips exactly). */
  real: z.number().finite(),
  /** A positive int4 (dentist ids are Jarvis's). */
  int4: z.number().int().min(1).max(2_147_483_647),
} as const;
export type CursorPart = keyof typeof CURSOR_PARTS;

/**
 * The sort key inside a cursor, each part of the kind given; a cursor that was not made
 * by this endpoint (forged, another endpoint's, or of the wrong types) is a 422 on
 * `query.cursor`.
 */
export function decodeCursor(
  cursor: string | undefined,
  parts: readonly CursorPart[],
): CursorKey | undefined {
  if (cursor === undefined) return undefined;
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(key) &&
      key.length === parts.length &&
      parts.every((part, index) => CURSOR_PARTS[part].safeParse(key[index]).success)
    ) {
      return key as CursorKey;
    }
  } catch {
    // fall through to the 422 below
  }
  throw new AppError(422, 'validation_failed', 'The cursor is not valid', {
    errors: [{ path: 'query.cursor', message: 'is not a cursor returned by this endpoint' }],
  });
}

/**
 * Turns `limit + 1` fetched rows into a page: the extra row only tells that another
 * page exists; the cursor is the key of the last row shown.
 */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  keyOf: (row: Row) => CursorKey,
  present: (row: Row) => Item,
): { items: Item[]; next_cursor: string | null } {
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  return {
    items: shown.map(present),
    next_cursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null,
  };
}

export const pageSchema = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), next_cursor: z.string().nullable() });

/**
 * A timestamp column as text with microseconds, for cursors: Postgres keeps
 * microseconds, a JS Date only milliseconds, and a cursor rounded to the millisecond
 * would skip rows created within the same millisecond as the last one shown.
 */
export function cursorTimestamp(column: string, alias = 'cursor_at'): string {
  return `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as ${alias}`;
}

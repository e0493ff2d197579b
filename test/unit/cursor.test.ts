import { describe, expect, it } from '@jest/globals';
import { decodeCursor, encodeCursor, type CursorPart } from '../../src/api/pagination.js';

// One set of rules for every paginated list: a cursor's parts are checked by kind
// before they reach a Postgres cast, so a forged one is a 422, never a 500.

const TIME = '2026-12-03T08:30:00.123456Z';
const ID = '8e2252f0-82a1-4866-8928-f6833b957b19';

const refused = (cursor: string, parts: readonly CursorPart[]) => {
  try {
    decodeCursor(cursor, parts);
  } catch (error) {
    return (error as { status?: number; code?: string }).status === 422;
  }
  return false;
};

describe('decodeCursor', () => {
  it('gives back the key of a cursor it made, for each shape in use', () => {
    expect(decodeCursor(encodeCursor([TIME, ID]), ['timestamp', 'uuid'])).toEqual([TIME, ID]);
    expect(decodeCursor(encodeCursor(['2026-12-03', TIME, ID]), ['date', 'timestamp', 'uuid'])).toEqual([
      '2026-12-03',
      TIME,
      ID,
    ]);
    expect(decodeCursor(encodeCursor(['Dr Ada', 42]), ['text', 'int4'])).toEqual(['Dr Ada', 42]);
    expect(decodeCursor(undefined, ['timestamp', 'uuid'])).toBeUndefined();
  });

  it.each<[string, unknown[], CursorPart[]]>([
    ['another shape', [TIME, ID, ID], ['timestamp', 'uuid']],
    ['an hour of 24', ['2026-12-03T24:00:00.000000Z', ID], ['timestamp', 'uuid']],
    ['a day that does not exist', ['2026-02-30T08:00:00.000000Z', ID], ['timestamp', 'uuid']],
    ['milliseconds only', ['2026-12-03T08:30:00.123Z', ID], ['timestamp', 'uuid']],
    ['an id that is no UUID', [TIME, 'x'], ['timestamp', 'uuid']],
    ['a date that does not exist', ['2026-13-01', TIME, ID], ['date', 'timestamp', 'uuid']],
    ['a dentist id past int4', ['Dr Ada', 2_147_483_648], ['text', 'int4']],
    ['a dentist id as text', ['Dr Ada', '42'], ['text', 'int4']],
  ])('refuses %s with a 422', (_what, key, parts) => {
    expect(refused(encodeCursor(key as Array<string | number>), parts)).toBe(true);
  });

  it('refuses what is not a cursor at all', () => {
    expect(refused('not base64 json', ['timestamp', 'uuid'])).toBe(true);
    expect(refused(Buffer.from('{"a":1}').toString('base64url'), ['timestamp', 'uuid'])).toBe(true);
  });
});

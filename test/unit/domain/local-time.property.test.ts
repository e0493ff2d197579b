import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { addDays, daysBetween, isLocalDate, listLocalDates } from '../../../src/shared/time/local-time.js';

// The calendar arithmetic is integer code (Hinnant's day-number algorithms), written for
// speed; Date's own proleptic Gregorian calendar is the reference it must agree with.
const MS_PER_DAY = 86_400_000;
const EPOCH = '1970-01-01';
const FIRST_DAY = -719_162; // 0001-01-01: Date.UTC maps years below 100 to 19xx
const LAST_DAY = 2_932_896; // 9999-12-31
const dateByDateObject = (dayNumber: number) => new Date(dayNumber * MS_PER_DAY).toISOString().slice(0, 10);

/** Reference: a real day written YYYY-MM-DD in the years 1900–2999, decided by Date. */
function isLocalDateByDateObject(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number) as [number, number, number];
  if (year < 1900 || year > 2999) return false;
  const utc = new Date(Date.UTC(year, month - 1, day));
  return utc.getUTCFullYear() === year && utc.getUTCMonth() === month - 1 && utc.getUTCDate() === day;
}

const dayNumbers = fc.integer({ min: FIRST_DAY, max: LAST_DAY });

describe('calendar arithmetic agrees with Date', () => {
  it('addDays from the epoch names the day Date names, and daysBetween counts it back', () => {
    fc.assert(
      fc.property(dayNumbers, (dayNumber) => {
        const date = addDays(EPOCH, dayNumber);
        expect(date).toBe(dateByDateObject(dayNumber));
        expect(daysBetween(EPOCH, date)).toBe(dayNumber);
      }),
      { numRuns: 5_000 },
    );
  });

  it('lists every day of four centuries as Date names it', () => {
    const first = daysBetween(EPOCH, '1900-01-01');
    const last = daysBetween(EPOCH, '2300-12-31');
    const dates = listLocalDates('1900-01-01', '2300-12-31');
    expect(dates).toHaveLength(last - first + 1);
    expect(dates.filter((date, offset) => date !== dateByDateObject(first + offset))).toEqual([]);
  });

  it('recognises exactly the dates Date recognises, at every month edge of 1,121 years', () => {
    const pad = (value: number) => String(value).padStart(2, '0');
    const disagreements: string[] = [];
    for (let year = 1890; year <= 3010; year += 1)
      for (let month = 0; month <= 13; month += 1)
        for (const day of [0, 1, 28, 29, 30, 31, 32]) {
          const text = `${year}-${pad(month)}-${pad(day)}`;
          if (isLocalDate(text) !== isLocalDateByDateObject(text)) disagreements.push(text);
        }
    expect(disagreements).toEqual([]);
  });
});

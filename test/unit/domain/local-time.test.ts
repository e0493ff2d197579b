import { describe, expect, it } from '@jest/globals';

import {
  addDays,
  daysBetween,
  isLocalDate,
  listLocalDates,
  localDateOf,
  localDayBounds,
  maxDate,
  minDate,
  todayIn,
} from '../../../src/shared/time/local-time.js';

function boundsIso(date: string, zone: string): { start: string; end: string; minutes: number } {
  const { start, end } = localDayBounds(date, zone);
  return {
    start: start.toISOString(),
    end: end.toISOString(),
    minutes: (end.getTime() - start.getTime()) / 60_000,
  };
}

describe('localDayBounds', () => {
  it.each([
    // zone, date, first instant (UTC), first instant of the next day (UTC), minutes
    ['UTC', '2026-06-15', '2026-06-15T00:00:00.000Z', '2026-06-16T00:00:00.000Z', 1440],
    ['Europe/London', '2026-03-28', '2026-03-28T00:00:00.000Z', '2026-03-29T00:00:00.000Z', 1440],
    ['Europe/London', '2026-03-29', '2026-03-29T00:00:00.000Z', '2026-03-29T23:00:00.000Z', 1380],
    ['Europe/London', '2026-03-30', '2026-03-29T23:00:00.000Z', '2026-03-30T23:00:00.000Z', 1440],
    ['Europe/London', '2026-10-25', '2026-10-24T23:00:00.000Z', '2026-10-26T00:00:00.000Z', 1500],
    ['America/New_York', '2026-03-08', '2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z', 1380],
    ['America/New_York', '2026-11-01', '2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z', 1500],
    ['Australia/Sydney', '2026-04-05', '2026-04-04T13:00:00.000Z', '2026-04-05T14:00:00.000Z', 1500],
    ['Australia/Sydney', '2026-10-04', '2026-10-03T14:00:00.000Z', '2026-10-04T13:00:00.000Z', 1380],
    ['Asia/Kolkata', '2026-06-15', '2026-06-14T18:30:00.000Z', '2026-06-15T18:30:00.000Z', 1440],
    ['Asia/Kathmandu', '2026-06-15', '2026-06-14T18:15:00.000Z', '2026-06-15T18:15:00.000Z', 1440],
    // DST starts at midnight: 00:00 does not exist, the day begins at 01:00 -03.
    ['America/Santiago', '2026-09-06', '2026-09-06T04:00:00.000Z', '2026-09-07T03:00:00.000Z', 1380],
    // Samoa skipped this date when it crossed the date line.
    ['Pacific/Apia', '2011-12-30', '2011-12-30T10:00:00.000Z', '2011-12-30T10:00:00.000Z', 0],
  ])('%s %s runs from %s to %s (%i minutes)', (zone, date, start, end, minutes) => {
    expect(boundsIso(date, zone)).toEqual({ start, end, minutes });
  });

  it('rejects an unknown zone and a malformed date', () => {
    expect(() => localDayBounds('2026-06-15', 'Mars/Olympus_Mons')).toThrow(RangeError);
    expect(() => localDayBounds('2026-02-30', 'UTC')).toThrow(RangeError);
    expect(() => localDayBounds('20260215', 'UTC')).toThrow(RangeError);
  });
});

describe('todayIn and localDateOf', () => {
  it.each([
    ['2026-03-29T23:30:00.000Z', 'UTC', '2026-03-29'],
    ['2026-03-29T23:30:00.000Z', 'Europe/London', '2026-03-30'],
    ['2026-03-29T23:30:00.000Z', 'America/New_York', '2026-03-29'],
    ['2026-06-14T18:14:59.999Z', 'Asia/Kathmandu', '2026-06-14'],
    ['2026-06-14T18:15:00.000Z', 'Asia/Kathmandu', '2026-06-15'],
    ['2026-06-14T18:29:59.999Z', 'Asia/Kolkata', '2026-06-14'],
    ['2026-06-14T18:30:00.000Z', 'Asia/Kolkata', '2026-06-15'],
    ['2026-06-14T10:00:00.000Z', 'Pacific/Kiritimati', '2026-06-15'],
    ['2026-06-14T10:00:00.000Z', 'Pacific/Pago_Pago', '2026-06-13'],
  ])('%s in %s is %s', (instant, zone, date) => {
    expect(todayIn(zone, new Date(instant))).toBe(date);
    expect(localDateOf(new Date(instant), zone)).toBe(date);
  });

  it('rejects an unknown zone', () => {
    expect(() => todayIn('Not/A_Zone', new Date('2026-06-14T10:00:00.000Z'))).toThrow(RangeError);
  });
});

describe('calendar arithmetic', () => {
  it('adds days across month, year and leap-day boundaries, whatever the DST', () => {
    expect(addDays('2026-03-28', 1)).toBe('2026-03-29');
    expect(addDays('2026-03-29', 1)).toBe('2026-03-30');
    expect(addDays('2026-12-25', 14)).toBe('2027-01-08');
    expect(addDays('2028-02-20', 10)).toBe('2028-03-01');
    expect(addDays('2026-02-20', 10)).toBe('2026-03-02');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
  });

  it('counts whole days between dates', () => {
    expect(daysBetween('2026-03-28', '2026-03-30')).toBe(2);
    expect(daysBetween('2026-10-26', '2026-10-24')).toBe(-2);
    expect(daysBetween('2024-01-01', '2024-12-31')).toBe(365);
    expect(daysBetween('2026-05-05', '2026-05-05')).toBe(0);
  });

  it('lists every date of a range, both ends included', () => {
    expect(listLocalDates('2026-02-27', '2026-03-02')).toEqual([
      '2026-02-27',
      '2026-02-28',
      '2026-03-01',
      '2026-03-02',
    ]);
    expect(listLocalDates('2026-05-05', '2026-05-05')).toEqual(['2026-05-05']);
    expect(listLocalDates('2026-05-06', '2026-05-05')).toEqual([]);
    expect(listLocalDates('2024-01-01', '2024-12-31')).toHaveLength(366);
  });

  it('recognises only real dates written YYYY-MM-DD', () => {
    expect(isLocalDate('2026-02-28')).toBe(true);
    expect(isLocalDate('2028-02-29')).toBe(true);
    expect(isLocalDate('2026-02-29')).toBe(false);
    expect(isLocalDate('2026-2-28')).toBe(false);
    expect(isLocalDate('20260228')).toBe(false);
    expect(isLocalDate('2026-W09')).toBe(false);
    expect(isLocalDate('2026-02-28T00:00')).toBe(false);
    expect(isLocalDate('')).toBe(false);
  });

  it('orders dates', () => {
    expect(minDate('2026-01-10', '2025-12-31')).toBe('2025-12-31');
    expect(maxDate('2026-01-10', '2025-12-31')).toBe('2026-01-10');
  });
});

describe('isLocalDate bounds', () => {
  it('refuses years outside 1900–2999, so date arithmetic never leaves YYYY-MM-DD', () => {
    expect(isLocalDate('9999-12-31')).toBe(false);
    expect(isLocalDate('1899-12-31')).toBe(false);
    expect(isLocalDate('2999-12-31')).toBe(true);
    expect(isLocalDate('1900-01-01')).toBe(true);
  });
});

import { LRUCache } from 'lru-cache';
import { DateTime } from 'luxon';

/** A calendar date as `YYYY-MM-DD`, meaningful only together with the user's zone. */
export type LocalDate = string;

/** Half-open: `start` is the first instant of the local date, `end` the first instant of the next one. */
export interface DayBounds {
  start: Date;
  end: Date;
}

const LOCAL_DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const MS_PER_DAY = 86_400_000;

// Pure calendar arithmetic (adding days, counting days) is done on UTC day numbers,
// where every day has 24 hours, so a DST change in some zone can never shift a date
// by one. It is plain integer arithmetic: stats over a year of days do it thousands
// of times per request, and luxon's general parser was most of that request's time.
function dayNumberOf(date: LocalDate): number | null {
  if (!LOCAL_DATE_PATTERN.test(date)) return null;
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  const day = Number(date.slice(8, 10));
  const utc = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC rolls 02-30 over into March (and maps years 0–99 to 19xx): reject both.
  if (utc.getUTCFullYear() !== year || utc.getUTCMonth() !== month - 1 || utc.getUTCDate() !== day) {
    return null;
  }
  return utc.getTime() / MS_PER_DAY;
}

function calendarDay(date: LocalDate): number {
  const dayNumber = dayNumberOf(date);
  if (dayNumber === null) {
    throw new RangeError(`Not a calendar date (YYYY-MM-DD): ${JSON.stringify(date)}`);
  }
  return dayNumber;
}

function dateOfDayNumber(dayNumber: number): LocalDate {
  return new Date(dayNumber * MS_PER_DAY).toISOString().slice(0, 10);
}

/**
 * Years a date of this service can fall in. Bounded so that date arithmetic near the
 * edge (9999-12-31 + 1 day) can never leave the `YYYY-MM-DD` form and fail later.
 */
export const MIN_YEAR = 1900;
export const MAX_YEAR = 2999;

/** True for an existing day written exactly as `YYYY-MM-DD` (luxon alone also accepts `20260203`, weeks…). */
export function isLocalDate(value: string): boolean {
  if (!LOCAL_DATE_PATTERN.test(value)) return false;
  const year = Number(value.slice(0, 4));
  return year >= MIN_YEAR && year <= MAX_YEAR && dayNumberOf(value) !== null;
}

export function addDays(date: LocalDate, days: number): LocalDate {
  return dateOfDayNumber(calendarDay(date) + Math.trunc(days));
}

/** Whole days from `from` to `to`: negative when `to` is earlier. */
export function daysBetween(from: LocalDate, to: LocalDate): number {
  return calendarDay(to) - calendarDay(from);
}

export function minDate(a: LocalDate, b: LocalDate): LocalDate {
  return a <= b ? a : b;
}

export function maxDate(a: LocalDate, b: LocalDate): LocalDate {
  return a >= b ? a : b;
}

/** Every date from `from` to `to`, both included; empty when `to` is before `from`. */
export function listLocalDates(from: LocalDate, to: LocalDate): LocalDate[] {
  const count = daysBetween(from, to) + 1;
  return Array.from({ length: Math.max(0, count) }, (_, offset) => addDays(from, offset));
}

/** The user's calendar date at a given instant. */
export function localDateOf(instant: Date, zone: string): LocalDate {
  const local = DateTime.fromJSDate(instant, { zone });
  if (!local.isValid) {
    throw new RangeError(`Invalid time zone or instant: ${zone}`);
  }
  // toISODate() is only null for invalid DateTimes, excluded just above.
  return local.toISODate() as LocalDate;
}

/** The user's current calendar date. */
export function todayIn(zone: string, now: Date): LocalDate {
  return localDateOf(now, zone);
}

function startOfLocalDate(date: LocalDate, zone: string): DateTime {
  calendarDay(date);
  const [year, month, day] = date.split('-').map(Number);
  // Where midnight does not exist (DST starting at 00:00, as in America/Santiago)
  // luxon moves forward to the first real instant of the day, which is what we want.
  const start = DateTime.fromObject({ year, month, day }, { zone });
  if (!start.isValid) {
    throw new RangeError(`Invalid time zone: ${zone}`);
  }
  return start;
}

/**
 * Day bounds already worked out, by zone and date. Finding a local midnight means
 * asking Intl for the zone's offset several times (~40 µs a day); wear stats need
 * hundreds of days per request, and users share zones and recent dates, so the
 * same few thousand days are asked for over and over. Bounded: ~100 bytes an entry.
 */
const dayBoundsCache = new LRUCache<string, { start: number; end: number }>({ max: 20_000 });

/**
 * The instants at which a local date begins and ends in `zone`. Both ends come from
 * the calendar, not from adding 24 hours, so DST days last 23 or 25 hours and a date
 * a zone skipped altogether (Pacific/Apia, 2011-12-30) lasts zero.
 */
export function localDayBounds(date: LocalDate, zone: string): DayBounds {
  const key = `${zone} ${date}`;
  let bounds = dayBoundsCache.get(key);
  if (bounds === undefined) {
    bounds = {
      start: startOfLocalDate(date, zone).toMillis(),
      end: startOfLocalDate(addDays(date, 1), zone).toMillis(),
    };
    dayBoundsCache.set(key, bounds);
  }
  // Fresh Dates: a caller changing one must not change the cached day.
  return { start: new Date(bounds.start), end: new Date(bounds.end) };
}

import { DateTime } from 'luxon';

/** A calendar date as `YYYY-MM-DD`, meaningful only together with the user's zone. */
export type LocalDate = string;

/** Half-open: `start` is the first instant of the local date, `end` the first instant of the next one. */
export interface DayBounds {
  start: Date;
  end: Date;
}

const LOCAL_DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

// Pure calendar arithmetic (adding days, counting days) is done in UTC, where every
// day has 24 hours, so a DST change in some zone can never shift a date by one.
function calendarDate(date: LocalDate): DateTime {
  const parsed = DateTime.fromISO(date, { zone: 'utc' });
  if (!LOCAL_DATE_PATTERN.test(date) || !parsed.isValid) {
    throw new RangeError(`Not a calendar date (YYYY-MM-DD): ${JSON.stringify(date)}`);
  }
  return parsed;
}

function toLocalDate(value: DateTime): LocalDate {
  // toISODate() is only null for invalid DateTimes, which callers never build.
  return value.toISODate() as LocalDate;
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
  return year >= MIN_YEAR && year <= MAX_YEAR && DateTime.fromISO(value, { zone: 'utc' }).isValid;
}

export function addDays(date: LocalDate, days: number): LocalDate {
  return toLocalDate(calendarDate(date).plus({ days }));
}

/** Whole days from `from` to `to`: negative when `to` is earlier. */
export function daysBetween(from: LocalDate, to: LocalDate): number {
  return Math.round(calendarDate(to).diff(calendarDate(from), 'days').days);
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
  return toLocalDate(local);
}

/** The user's current calendar date. */
export function todayIn(zone: string, now: Date): LocalDate {
  return localDateOf(now, zone);
}

function startOfLocalDate(date: LocalDate, zone: string): DateTime {
  const { year, month, day } = calendarDate(date);
  // Where midnight does not exist (DST starting at 00:00, as in America/Santiago)
  // luxon moves forward to the first real instant of the day, which is what we want.
  const start = DateTime.fromObject({ year, month, day }, { zone });
  if (!start.isValid) {
    throw new RangeError(`Invalid time zone: ${zone}`);
  }
  return start;
}

/**
 * The instants at which a local date begins and ends in `zone`. Both ends come from
 * the calendar, not from adding 24 hours, so DST days last 23 or 25 hours and a date
 * a zone skipped altogether (Pacific/Apia, 2011-12-30) lasts zero.
 */
export function localDayBounds(date: LocalDate, zone: string): DayBounds {
  const start = startOfLocalDate(date, zone);
  const end = startOfLocalDate(addDays(date, 1), zone);
  return { start: start.toJSDate(), end: end.toJSDate() };
}

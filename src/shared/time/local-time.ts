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
// of times per request, and first luxon's general parser, then Date and toISOString
// were most of that request's time (bench: get-wear-stats-90d profiles).

const digitAt = (text: string, index: number): number => text.charCodeAt(index) - 48;

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
}

// The two conversions below are Howard Hinnant's days_from_civil and civil_from_days
// ("chrono-Compatible Low-Level Date Algorithms"): the proleptic Gregorian calendar,
// counted in 400-year eras of 146,097 days, with years starting on 1 March so that
// the leap day falls last. Day 0 is 1970-01-01, as for Date.

function daysFromCivil(year: number, month: number, day: number): number {
  const marchYear = month <= 2 ? year - 1 : year;
  const era = Math.floor(marchYear / 400);
  const yearOfEra = marchYear - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function dayNumberOf(date: LocalDate): number | null {
  if (!LOCAL_DATE_PATTERN.test(date)) return null;
  const year = digitAt(date, 0) * 1000 + digitAt(date, 1) * 100 + digitAt(date, 2) * 10 + digitAt(date, 3);
  const month = digitAt(date, 5) * 10 + digitAt(date, 6);
  const day = digitAt(date, 8) * 10 + digitAt(date, 9);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  return daysFromCivil(year, month, day);
}

function calendarDay(date: LocalDate): number {
  const dayNumber = dayNumberOf(date);
  if (dayNumber === null) {
    throw new RangeError(`Not a calendar date (YYYY-MM-DD): ${JSON.stringify(date)}`);
  }
  return dayNumber;
}

const twoDigits = (value: number): string => (value < 10 ? `0${value}` : `${value}`);

function dateOfDayNumber(dayNumber: number): LocalDate {
  const shifted = dayNumber + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  // Beyond four digits there is no YYYY-MM-DD: keep Date's own (failing) answer there.
  if (year < 0 || year > 9999) return new Date(dayNumber * MS_PER_DAY).toISOString().slice(0, 10);
  return `${String(year).padStart(4, '0')}-${twoDigits(month)}-${twoDigits(day)}`;
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
  const first = calendarDay(from);
  const count = calendarDay(to) - first + 1;
  return Array.from({ length: Math.max(0, count) }, (_, offset) => dateOfDayNumber(first + offset));
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

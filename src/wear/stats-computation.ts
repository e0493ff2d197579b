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
  type LocalDate,
} from '../shared/time/local-time.js';

export { listLocalDates, localDayBounds } from '../shared/time/local-time.js';

/** An out-of-mouth session; an open one (`ended_at` null) lasts until now. */
export interface OutOfMouthSession {
  started_at: Date;
  ended_at: Date | null;
}

export interface WearStatsInput {
  sessions: readonly OutOfMouthSession[];
  /** The user's IANA zone: days are cut at its local midnights. */
  zone: string;
  from: LocalDate;
  to: LocalDate;
  now: Date;
  goalMinutes: number;
  /** See `trackingStart`; null when tracking has not begun, so no day counts. */
  trackingStartsAt: Date | null;
  /**
   * The local days on which the user's app was in contact with the service, at least
   * from `silentDaysAllowed + 1` days before `from` to as many after `to` (see `unconfirmedDates`).
   */
  contactDays: ReadonlySet<LocalDate>;
  /** Silent days in a row that still count as worn; a longer silence is unconfirmed. */
  silentDaysAllowed: number;
}

export interface WearDay {
  date: LocalDate;
  /** The part of the day that was tracked: from the start of tracking (or midnight) to its end (or now). */
  tracked_minutes: number;
  out_minutes: number;
  /** Tracked minutes without an out-of-mouth session. */
  wear_minutes: number;
  /** The daily goal, capped at the day's length and pro-rated on the day tracking began. */
  goal_minutes: number;
  goal_met: boolean;
  /** False when the app was silent on this day, in a silence longer than allowed. */
  confirmed: boolean;
}

export interface WearSummary {
  /**
   * Wear per 24 h of tracked time over the complete (past), confirmed days returned,
   * rounded; null when there is none yet.
   */
  average_wear_minutes: number | null;
  current_streak_days: number;
  /** Days returned that were tracked at all (today included). */
  tracked_days: number;
  /** Days returned that are not confirmed. */
  unconfirmed_days: number;
}

export interface WearStats {
  days: WearDay[];
  summary: WearSummary;
}

export const MAX_STATS_RANGE_DAYS = 366;

const MS_PER_MINUTE = 60_000;

/** Half-open interval of whole minutes since the epoch. */
interface MinuteSpan {
  start: number;
  end: number;
}

/** Why a `from`/`to` pair cannot be served, or null when it can. */
export function validateStatsRange(from: string, to: string): string | null {
  if (!isLocalDate(from)) return 'from must be a date (YYYY-MM-DD)';
  if (!isLocalDate(to)) return 'to must be a date (YYYY-MM-DD)';
  const inclusiveDays = daysBetween(from, to) + 1;
  if (inclusiveDays < 1) return 'to must not be before from';
  if (inclusiveDays > MAX_STATS_RANGE_DAYS) return `the range must not exceed ${MAX_STATS_RANGE_DAYS} days`;
  return null;
}

/**
 * The instant tracking began (docs/resources.md#wear-stats): the earlier of the user's
 * registration and their first session (one logged after the fact may start before it),
 * but never before the treatment's first day. Null before anything is tracked: no
 * treatment and no session.
 */
export function trackingStart(
  basis: {
    treatmentStartedOn: LocalDate | null;
    registeredAt: Date;
    firstSessionStartedAt: Date | null;
  },
  zone: string,
): Date | null {
  const { treatmentStartedOn, registeredAt, firstSessionStartedAt } = basis;
  if (treatmentStartedOn === null && firstSessionStartedAt === null) return null;
  const earliest =
    firstSessionStartedAt && firstSessionStartedAt < registeredAt ? firstSessionStartedAt : registeredAt;
  if (treatmentStartedOn === null) return earliest;
  const treatmentStart = localDayBounds(treatmentStartedOn, zone).start;
  return earliest > treatmentStart ? earliest : treatmentStart;
}

// Every instant is snapped to a whole minute before anything is added up, so the
// figures are exact integers: out + wear is the day's length to the minute, and a
// session split across midnights sums to its own length. Local midnights already
// fall on whole minutes (UTC offsets are whole minutes since the 1970s).
function nearestMinute(instant: Date): number {
  return Math.round(instant.getTime() / MS_PER_MINUTE);
}

/** Sorted, disjoint spans: the DB forbids overlaps, but counting one twice must stay impossible. */
function mergedOutSpans(sessions: readonly OutOfMouthSession[], nowMinute: number): MinuteSpan[] {
  const spans = sessions
    .map((session) => ({
      start: nearestMinute(session.started_at),
      end: Math.min(nowMinute, session.ended_at ? nearestMinute(session.ended_at) : nowMinute),
    }))
    .filter((span) => Number.isFinite(span.start) && Number.isFinite(span.end) && span.end > span.start)
    .sort((a, b) => a.start - b.start);
  const merged: MinuteSpan[] = [];
  for (const span of spans) {
    const last = merged[merged.length - 1];
    if (last && span.start <= last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  return merged;
}

/** Minutes covered by `spans` inside each window; both lists are sorted, so one sweep suffices. */
function coveredMinutesPerWindow(windows: readonly MinuteSpan[], spans: readonly MinuteSpan[]): number[] {
  let first = 0;
  return windows.map((window) => {
    while (first < spans.length && (spans[first] as MinuteSpan).end <= window.start) first += 1;
    let covered = 0;
    for (let index = first; index < spans.length; index += 1) {
      const span = spans[index] as MinuteSpan;
      if (span.start >= window.end) break;
      covered += Math.min(span.end, window.end) - Math.max(span.start, window.start);
    }
    return covered;
  });
}

interface DayFrame {
  date: LocalDate;
  /** The tracked part of the day: from midnight or the start of tracking, to its end or now. */
  counted: MinuteSpan;
  fullDayMinutes: number;
  /** The part of the day after the start of tracking, now or not: what the goal is pro-rated on. */
  trackableMinutes: number;
}

function dayFrame(date: LocalDate, zone: string, trackingMinute: number, nowMinute: number): DayFrame {
  const bounds = localDayBounds(date, zone);
  const dayStart = nearestMinute(bounds.start);
  const end = nearestMinute(bounds.end);
  const start = Math.min(end, Math.max(dayStart, trackingMinute));
  return {
    date,
    counted: { start, end: Math.max(start, Math.min(end, nowMinute)) },
    fullDayMinutes: end - dayStart,
    trackableMinutes: end - start,
  };
}

/**
 * The goal is an amount of wear, but no one can wear an aligner 24 h on a 23 h day:
 * a goal longer than the day is capped at the day, so wearing it all day meets it. On
 * the day tracking began, the goal is the same share of the day as was tracked.
 */
function dayGoalMinutes(goalMinutes: number, fullDayMinutes: number, trackableMinutes: number): number {
  const dailyGoal = Math.min(goalMinutes, fullDayMinutes);
  return trackableMinutes === fullDayMinutes
    ? dailyGoal
    : Math.round((dailyGoal * trackableMinutes) / fullDayMinutes);
}

function toWearDay(frame: DayFrame, outMinutes: number, goalMinutes: number, confirmed: boolean): WearDay {
  const tracked_minutes = frame.counted.end - frame.counted.start;
  const wear_minutes = tracked_minutes - outMinutes;
  const goal_minutes = dayGoalMinutes(goalMinutes, frame.fullDayMinutes, frame.trackableMinutes);
  return {
    date: frame.date,
    tracked_minutes,
    out_minutes: outMinutes,
    wear_minutes,
    goal_minutes,
    goal_met: wear_minutes >= goal_minutes,
    confirmed,
  };
}

/** A complete past day's figures as the daily rollup keeps them (src/wear/daily-rollup.ts). */
export interface SettledDayFigures {
  date: LocalDate;
  dayMinutes: number;
  trackedMinutes: number;
  outMinutes: number;
  confirmed: boolean;
}

/**
 * The day of a rollup row, judged against today's goal: the goal is not stored, so
 * a change of goal applies to the past as it does when the day is computed from
 * sessions. A complete day was trackable for exactly as long as it was tracked.
 */
export function settledWearDay(figures: SettledDayFigures, goalMinutes: number): WearDay {
  const wear_minutes = figures.trackedMinutes - figures.outMinutes;
  const goal_minutes = dayGoalMinutes(goalMinutes, figures.dayMinutes, figures.trackedMinutes);
  return {
    date: figures.date,
    tracked_minutes: figures.trackedMinutes,
    out_minutes: figures.outMinutes,
    wear_minutes,
    goal_minutes,
    goal_met: wear_minutes >= goal_minutes,
    confirmed: figures.confirmed,
  };
}

/** A day's length in minutes, in its zone (1380 or 1500 on a DST change). */
export function dayLengthMinutes(date: LocalDate, zone: string): number {
  const bounds = localDayBounds(date, zone);
  return nearestMinute(bounds.end) - nearestMinute(bounds.start);
}

/**
 * The dates of `dates` on which the app was silent in a silence of more than `allowed`
 * days in a row. A short silence (a weekend without the phone) is trusted: the app
 * records sessions offline and sends them later. A longer one is not: nobody told us
 * the aligners were in. Today is never silent (the day is not over, and asking is a
 * contact); a silence is not followed before the day tracking began.
 */
export function unconfirmedDates(
  dates: readonly LocalDate[],
  contactDays: ReadonlySet<LocalDate>,
  allowed: number,
  bounds: { trackingStartsOn: LocalDate; today: LocalDate },
): Set<LocalDate> {
  const silent = (date: LocalDate) =>
    date >= bounds.trackingStartsOn && date < bounds.today && !contactDays.has(date);
  const unconfirmed = new Set<LocalDate>();
  for (const date of dates) {
    if (!silent(date) || unconfirmed.has(date)) continue;
    let first = date;
    while (silent(addDays(first, -1)) && daysBetween(addDays(first, -1), date) <= allowed)
      first = addDays(first, -1);
    let last = date;
    while (silent(addDays(last, 1)) && daysBetween(first, addDays(last, 1)) <= allowed)
      last = addDays(last, 1);
    if (daysBetween(first, last) + 1 > allowed)
      for (const day of listLocalDates(first, last)) unconfirmed.add(day);
  }
  return unconfirmed;
}

/** A day that counts in a streak: its goal met, and not in an unconfirmed silence. */
export const keepsStreak = (day: WearDay) => day.goal_met && day.confirmed;

/**
 * Consecutive days meeting the goal, counted back from the last day of `days`
 * (which must be contiguous). Today joins the streak once its goal is met, but
 * not having met it yet does not break the streak: the day is not over. An
 * unconfirmed day breaks it.
 */
export function currentStreakDays(days: readonly WearDay[], today: LocalDate): number {
  let index = days.length - 1;
  if (days[index]?.date === today && !days[index]?.goal_met) index -= 1;
  let streak = 0;
  while (index >= 0 && days[index] && keepsStreak(days[index]!)) {
    streak += 1;
    index -= 1;
  }
  return streak;
}

const MINUTES_PER_DAY = 1440;

/**
 * Wear per 24 h of tracked time over the complete, confirmed days: a day tracked from
 * the afternoon counts for what it was tracked, not as a day of little wear. Today is
 * excluded (it would swing the figure every morning), and so is an unconfirmed day
 * (its wear is not known).
 */
export function averageWearMinutes(days: readonly WearDay[], today: LocalDate): number | null {
  const counted = days.filter((day) => day.date < today && day.confirmed && day.tracked_minutes > 0);
  const tracked = counted.reduce((sum, day) => sum + day.tracked_minutes, 0);
  if (tracked === 0) return null;
  const worn = counted.reduce((sum, day) => sum + day.wear_minutes, 0);
  return Math.round((worn * MINUTES_PER_DAY) / tracked);
}

/** The dates that are reported: inside the range, from the day tracking began, up to today. */
function countedDates(input: WearStatsInput, today: LocalDate): LocalDate[] {
  if (input.trackingStartsAt === null) return [];
  const trackingStartsOn = localDateOf(input.trackingStartsAt, input.zone);
  return listLocalDates(maxDate(input.from, trackingStartsOn), minDate(input.to, today));
}

/** The summary of `days` (contiguous, oldest first), its streak seen inside them only. */
export function summarizeWearDays(days: readonly WearDay[], today: LocalDate): WearSummary {
  return {
    average_wear_minutes: averageWearMinutes(days, today),
    current_streak_days: currentStreakDays(days, today),
    tracked_days: days.filter((day) => day.tracked_minutes > 0).length,
    unconfirmed_days: days.filter((day) => !day.confirmed).length,
  };
}

/**
 * The days of GET /wear-stats. Days are the user's local calendar days (23 h and 25 h
 * at DST changes); today counts up to now (whole minutes elapsed) and its goal is met
 * only once reached; days after today and days before tracking began are left out.
 */
export function computeWearDays(input: WearStatsInput): WearDay[] {
  const today = todayIn(input.zone, input.now);
  const nowMinute = Math.floor(input.now.getTime() / MS_PER_MINUTE);
  const dates = countedDates(input, today);
  const trackingMinute = input.trackingStartsAt ? nearestMinute(input.trackingStartsAt) : 0;
  const frames = dates.map((date) => dayFrame(date, input.zone, trackingMinute, nowMinute));
  const outMinutes = coveredMinutesPerWindow(
    frames.map((frame) => frame.counted),
    mergedOutSpans(input.sessions, nowMinute),
  );
  const unconfirmed =
    input.trackingStartsAt === null
      ? new Set<LocalDate>()
      : unconfirmedDates(dates, input.contactDays, input.silentDaysAllowed, {
          trackingStartsOn: localDateOf(input.trackingStartsAt, input.zone),
          today,
        });
  return frames.map((frame, index) =>
    toWearDay(frame, outMinutes[index] ?? 0, input.goalMinutes, !unconfirmed.has(frame.date)),
  );
}

/**
 * GET /wear-stats from sessions: the days (see computeWearDays) and their summary. The
 * streak only sees the requested range: for one that is not cut short by the range,
 * pass the range from the start of tracking to today with every session in it (days
 * without sessions count as fully worn).
 */
export function computeWearStats(input: WearStatsInput): WearStats {
  const days = computeWearDays(input);
  return { days, summary: summarizeWearDays(days, todayIn(input.zone, input.now)) };
}

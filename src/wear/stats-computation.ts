import {
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
  /** See `trackingStartDate`; null when tracking has not begun, so no day counts. */
  trackingStartsOn: LocalDate | null;
}

export interface WearDay {
  date: LocalDate;
  out_minutes: number;
  wear_minutes: number;
  goal_minutes: number;
  goal_met: boolean;
}

export interface WearSummary {
  /** Rounded mean over the complete (past) days returned; null when there is none yet. */
  average_wear_minutes: number | null;
  current_streak_days: number;
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

/** Tracking begins on the treatment's start or the local day of the first session, whichever is earlier. */
export function trackingStartDate(
  treatmentStartedOn: LocalDate | null,
  firstSessionStartedAt: Date | null,
  zone: string,
): LocalDate | null {
  const firstSessionOn = firstSessionStartedAt ? localDateOf(firstSessionStartedAt, zone) : null;
  if (treatmentStartedOn && firstSessionOn) return minDate(treatmentStartedOn, firstSessionOn);
  return treatmentStartedOn ?? firstSessionOn;
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
  /** The part of the day that has happened: all of it, or up to now for today. */
  counted: MinuteSpan;
  fullDayMinutes: number;
}

function dayFrame(date: LocalDate, zone: string, nowMinute: number): DayFrame {
  const bounds = localDayBounds(date, zone);
  const start = nearestMinute(bounds.start);
  const end = nearestMinute(bounds.end);
  return {
    date,
    counted: { start, end: Math.max(start, Math.min(end, nowMinute)) },
    fullDayMinutes: end - start,
  };
}

/**
 * The goal is an amount of wear, but no one can wear an aligner 24 h on a 23 h day:
 * a goal longer than the day is capped at the day, so wearing it all day meets it.
 */
function toWearDay(frame: DayFrame, outMinutes: number, goalMinutes: number): WearDay {
  const wear_minutes = frame.counted.end - frame.counted.start - outMinutes;
  const goal_minutes = Math.min(goalMinutes, frame.fullDayMinutes);
  return {
    date: frame.date,
    out_minutes: outMinutes,
    wear_minutes,
    goal_minutes,
    goal_met: wear_minutes >= goal_minutes,
  };
}

/**
 * Consecutive days meeting the goal, counted back from the last day of `days`
 * (which must be contiguous). Today joins the streak once its goal is met, but
 * not having met it yet does not break the streak: the day is not over.
 */
export function currentStreakDays(days: readonly WearDay[], today: LocalDate): number {
  let index = days.length - 1;
  if (days[index]?.date === today && !days[index]?.goal_met) index -= 1;
  let streak = 0;
  while (index >= 0 && days[index]?.goal_met) {
    streak += 1;
    index -= 1;
  }
  return streak;
}

/** Today is excluded: a half-lived day would drag the average down every morning. */
function averageWearMinutes(days: readonly WearDay[], today: LocalDate): number | null {
  const complete = days.filter((day) => day.date < today);
  if (complete.length === 0) return null;
  const total = complete.reduce((sum, day) => sum + day.wear_minutes, 0);
  return Math.round(total / complete.length);
}

/** The dates that are reported: inside the range, from the start of tracking, up to today. */
function countedDates(input: WearStatsInput, today: LocalDate): LocalDate[] {
  if (input.trackingStartsOn === null) return [];
  return listLocalDates(maxDate(input.from, input.trackingStartsOn), minDate(input.to, today));
}

/**
 * GET /wear-stats. Days are the user's local calendar days (23 h and 25 h at DST
 * changes); today counts up to now (whole minutes elapsed) and its goal is met only
 * once reached; days after today and days before tracking began are left out of
 * `days` and of the summary. The streak only sees the requested range: for one that
 * is not cut short by the range, pass the range from the start of tracking to today
 * with every session in it (days without sessions count as fully worn).
 */
export function computeWearStats(input: WearStatsInput): WearStats {
  const today = todayIn(input.zone, input.now);
  const nowMinute = Math.floor(input.now.getTime() / MS_PER_MINUTE);
  const frames = countedDates(input, today).map((date) => dayFrame(date, input.zone, nowMinute));
  const outMinutes = coveredMinutesPerWindow(
    frames.map((frame) => frame.counted),
    mergedOutSpans(input.sessions, nowMinute),
  );
  const days = frames.map((frame, index) => toWearDay(frame, outMinutes[index] ?? 0, input.goalMinutes));
  return {
    days,
    summary: {
      average_wear_minutes: averageWearMinutes(days, today),
      current_streak_days: currentStreakDays(days, today),
    },
  };
}

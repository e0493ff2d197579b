import { addDays, localDateOf, maxDate, todayIn, type LocalDate } from '../shared/time/local-time.js';
import { currentStreakDays, keepsStreak, MAX_STATS_RANGE_DAYS, type WearDay } from './stats-computation.js';

/**
 * How far back a streak is followed. Days without a session count as worn, so a
 * user who stopped recording (or a treatment dated long ago) would otherwise mean
 * reading years of history on every request; a longer streak is reported as this.
 */
export const STREAK_LOOKBACK_DAYS = 3 * MAX_STATS_RANGE_DAYS;

/** The first stretch read before the range; each further one doubles, up to the stats maximum. */
const FIRST_STRETCH_DAYS = 31;

export interface StreakBasis {
  zone: string;
  now: Date;
  trackingStartsAt: Date | null;
  /** The days `first`..`last` (both included) as GET /wear-stats shows them. */
  loadDays: (first: LocalDate, last: LocalDate) => Promise<WearDay[]>;
}

/**
 * The current streak: consecutive days meeting the goal up to today (today once met),
 * whatever range was asked for. It is counted back stretch by stretch, and the next
 * (older) stretch is read only while every day so far met the goal, so a broken
 * streak costs nothing beyond the range. `known` is the requested range's days when
 * they already reach today: the first stretch, read once.
 */
export async function currentStreak(
  basis: StreakBasis,
  known?: { first: LocalDate; days: readonly WearDay[] },
): Promise<number> {
  if (basis.trackingStartsAt === null) return 0;
  const today = todayIn(basis.zone, basis.now);
  // Today itself may not count yet (its goal not met so far): the bound is on the days before it.
  const earliest = maxDate(
    localDateOf(basis.trackingStartsAt, basis.zone),
    addDays(today, -STREAK_LOOKBACK_DAYS),
  );
  let stretch = known && known.first <= today ? known : undefined;
  let last = today;
  let length = FIRST_STRETCH_DAYS;
  let streak = 0;
  while (stretch || last >= earliest) {
    if (!stretch) {
      const first = maxDate(earliest, addDays(last, -(length - 1)));
      stretch = { first, days: await basis.loadDays(first, last) };
      length = Math.min(MAX_STATS_RANGE_DAYS, length * 2);
    }
    streak += currentStreakDays(stretch.days, today);
    // Today not met yet does not break the streak (currentStreakDays skips it too).
    if (!stretch.days.every((day) => keepsStreak(day) || day.date === today)) break;
    last = addDays(stretch.first, -1);
    stretch = undefined;
  }
  return Math.min(streak, STREAK_LOOKBACK_DAYS);
}

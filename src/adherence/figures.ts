import { averageWearMinutes, keepsStreak, type WearDay } from '../wear/stats-computation.js';
import type { AlignerWear } from '../wear/aligner-readiness.js';
import type { LocalDate } from '../shared/time/local-time.js';

/**
 * A patient's adherence over a window of local days (docs/internal-api.md#adherence):
 * the figures GET /wear-stats and GET /treatment show the app, gathered for the clinic.
 */
export interface AdherenceFigures {
  /** The window's length in local days. */
  days: number;
  tracked_days: number;
  /** Wear per 24 h of tracked time over the window's complete, confirmed days; null without one. */
  average_wear_minutes: number | null;
  goal_minutes: number;
  /** Confirmed days whose goal was met. */
  days_goal_met: number;
  /** The current streak, whatever the window. */
  current_streak_days: number;
  unconfirmed_days: number;
  /** Null without a treatment plan. */
  current_aligner: number | null;
  current_aligner_wear: AlignerWear | null;
}

/** The figures of `windowDays` days (the window's days, oldest first, as GET /wear-stats shows them). */
export function adherenceFigures(input: {
  windowLength: number;
  windowDays: readonly WearDay[];
  today: LocalDate;
  goalMinutes: number;
  currentStreakDays: number;
  treatment: { current_aligner: number; current_aligner_wear: AlignerWear } | null;
}): AdherenceFigures {
  const { windowDays } = input;
  return {
    days: input.windowLength,
    tracked_days: windowDays.filter((day) => day.tracked_minutes > 0).length,
    average_wear_minutes: averageWearMinutes(windowDays, input.today),
    goal_minutes: input.goalMinutes,
    days_goal_met: windowDays.filter(keepsStreak).length,
    current_streak_days: input.currentStreakDays,
    unconfirmed_days: windowDays.filter((day) => !day.confirmed).length,
    current_aligner: input.treatment?.current_aligner ?? null,
    current_aligner_wear: input.treatment?.current_aligner_wear ?? null,
  };
}

import { averageWearMinutes, type WearDay } from './stats-computation.js';
import type { LocalDate } from '../shared/time/local-time.js';

/** Extra days suggested at most, whatever the deficit: beyond that it is the dentist's call. */
export const MAX_SUGGESTED_EXTRA_DAYS = 3;

/** `current_aligner_wear` of GET /treatment (docs/resources.md#aligner-readiness). */
export interface AlignerWear {
  /** Days on the current aligner that were tracked (today included). */
  days: number;
  /** Wear per 24 h of tracked time over its complete, confirmed days; null before the first. */
  average_wear_minutes: number | null;
  goal_minutes: number;
  /** Goal wear not worn over those days, net: a day above the goal makes up for one below. */
  deficit_minutes: number;
  /** The deficit in days of goal wear, rounded, at most MAX_SUGGESTED_EXTRA_DAYS; 0 without a deficit. */
  suggested_extra_days: number;
}

/**
 * How ready the current aligner is to be changed, from its days (those since it was put
 * in): the wear figures of GET /wear-stats, judged on complete, confirmed days only.
 */
export function alignerReadiness(
  days: readonly WearDay[],
  goalMinutes: number,
  today: LocalDate,
): AlignerWear {
  const judged = days.filter((day) => day.date < today && day.confirmed && day.tracked_minutes > 0);
  const shortfall = judged.reduce((sum, day) => sum + day.goal_minutes - day.wear_minutes, 0);
  const deficit = Math.max(0, shortfall);
  return {
    days: days.filter((day) => day.tracked_minutes > 0).length,
    average_wear_minutes: averageWearMinutes(days, today),
    goal_minutes: goalMinutes,
    deficit_minutes: deficit,
    suggested_extra_days: Math.min(MAX_SUGGESTED_EXTRA_DAYS, Math.round(deficit / goalMinutes)),
  };
}

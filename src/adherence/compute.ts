import type { Knex } from 'knex';
import { addDays, todayIn, type LocalDate } from '../shared/time/local-time.js';
import { readTreatmentOrNull } from '../treatment/plan.js';
import type { TreatmentReadResponse } from '../treatment/schema.js';
import { DEFAULT_DAILY_WEAR_GOAL_MINUTES, loadWearStats } from '../wear/wear-stats.js';
import type { WearStats } from '../wear/stats-computation.js';
import { adherenceFigures, type AdherenceFigures } from './figures.js';

export interface AdherenceBasis {
  today: LocalDate;
  stats: WearStats;
  treatment: TreatmentReadResponse | null;
}

/**
 * What every adherence figure is made of: the days `today − daysBeforeToday … today` and the current
 * streak (GET /wear-stats), and the plan with the current aligner's wear (GET /treatment),
 * read as the app reads them. 404 for an unknown or erased user.
 */
export async function loadAdherenceBasis(
  knex: Knex,
  user: { cognito_sub: string; timezone: string },
  daysBeforeToday: number,
  silentDaysAllowed: number,
  now: Date,
): Promise<AdherenceBasis> {
  const today = todayIn(user.timezone, now);
  const [stats, treatment] = await Promise.all([
    loadWearStats(
      knex,
      user.cognito_sub,
      { from: addDays(today, -daysBeforeToday), to: today, silentDaysAllowed },
      now,
    ),
    readTreatmentOrNull(knex, user.cognito_sub, { silentDaysAllowed }, now),
  ]);
  return { today, stats, treatment };
}

/** The figures of the `length` days ending on `last` (the basis must hold them). */
export function figuresOfWindow(basis: AdherenceBasis, last: LocalDate, length: number): AdherenceFigures {
  const first = addDays(last, -(length - 1));
  return adherenceFigures({
    windowLength: length,
    windowDays: basis.stats.days.filter((day) => day.date >= first && day.date <= last),
    today: basis.today,
    goalMinutes: basis.treatment?.daily_wear_goal_minutes ?? DEFAULT_DAILY_WEAR_GOAL_MINUTES,
    currentStreakDays: basis.stats.summary.current_streak_days,
    treatment: basis.treatment,
  });
}

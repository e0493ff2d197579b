import type { Knex } from 'knex';
import { notFound } from '../../../shared/errors.js';
import {
  localDayBounds,
  maxDate,
  minDate,
  todayIn,
  type LocalDate,
} from '../../../shared/domain/local-time.js';
import {
  computeWearStats,
  trackingStartDate,
  type OutOfMouthSession,
  type WearStats,
} from '../../../shared/domain/wear-stats.js';
import { NO_PROFILE_YET } from '../users/profile.js';
import { sessionsOverlapping } from './session-reads.js';
import { currentStreak } from './streak.js';

/** SPEC §3: the goal when the user has no treatment (the column's own default). */
export const DEFAULT_DAILY_WEAR_GOAL_MINUTES = 1320;

interface TrackingBasis {
  user_id: string;
  timezone: string;
  started_on: LocalDate | null;
  daily_wear_goal_minutes: number | null;
  first_started_at: Date | null;
}

/**
 * The user, their treatment's start and goal and their first session's start, in one
 * round trip: each query costs a round trip to Postgres, the largest part of a
 * request's CPU (bench: get-wear-stats-90d).
 */
async function trackingBasis(knex: Knex, cognitoSub: string): Promise<TrackingBasis> {
  const { rows } = (await knex.raw(
    `select u.id as user_id, u.timezone, t.started_on, t.daily_wear_goal_minutes,
            (select min(started_at) from wear_sessions w where w.user_id = u.id) as first_started_at
       from users u left join treatments t on t.user_id = u.id
      where u.cognito_sub = ? and u.deleted_at is null`,
    [cognitoSub],
  )) as { rows: TrackingBasis[] };
  const basis = rows[0];
  if (!basis) throw notFound(NO_PROFILE_YET);
  return basis;
}

const fromEpochSeconds = (seconds: number) => new Date(Math.round(seconds * 1000));

/**
 * The sessions overlapping the local days `first`..`last`, read with one range scan.
 * Their times come as epoch seconds (float8, exact to well under a microsecond): the
 * driver reads a number about 9 times faster than a timestamptz string, and a 90-day
 * request reads some 200 of them (bench: get-wear-stats-90d).
 */
async function sessionsForDays(
  knex: Knex,
  userId: string,
  zone: string,
  first: LocalDate,
  last: LocalDate,
): Promise<OutOfMouthSession[]> {
  if (first > last) return [];
  const rows = (await sessionsOverlapping(knex, userId, {
    from: localDayBounds(first, zone).start,
    to: localDayBounds(last, zone).end,
  }).select(
    knex.raw(`date_part('epoch', started_at) as started_s`),
    knex.raw(`date_part('epoch', ended_at) as ended_s`),
  )) as Array<{ started_s: number; ended_s: number | null }>;
  return rows.map((row) => ({
    started_at: fromEpochSeconds(row.started_s),
    ended_at: row.ended_s === null ? null : fromEpochSeconds(row.ended_s),
  }));
}

/**
 * `GET /wear-stats` (SPEC §3). Only the days that can be reported are read: from the
 * start of tracking (or `from`) to today (or `to`), so a range reaching far into the
 * past or the future reads nothing for those days. The streak is the current one
 * (see currentStreak), which may read further back than `from`.
 */
export async function loadWearStats(
  knex: Knex,
  cognitoSub: string,
  from: LocalDate,
  to: LocalDate,
  now = new Date(),
): Promise<WearStats> {
  const basis = await trackingBasis(knex, cognitoSub);
  const zone = basis.timezone;
  const trackingStartsOn = trackingStartDate(basis.started_on, basis.first_started_at, zone);
  const goalMinutes = basis.daily_wear_goal_minutes ?? DEFAULT_DAILY_WEAR_GOAL_MINUTES;
  const today = todayIn(zone, now);
  const first = trackingStartsOn === null ? null : maxDate(from, trackingStartsOn);
  const last = minDate(to, today);
  const load = (firstDay: LocalDate, lastDay: LocalDate) =>
    sessionsForDays(knex, basis.user_id, zone, firstDay, lastDay);

  const stats = computeWearStats({
    sessions: first === null ? [] : await load(first, last),
    zone,
    from,
    to,
    now,
    goalMinutes,
    trackingStartsOn,
  });
  const streak = await currentStreak(
    { zone, now, goalMinutes, trackingStartsOn, loadSessions: load },
    first !== null && to >= today ? { first, days: stats.days } : undefined,
  );
  return { days: stats.days, summary: { ...stats.summary, current_streak_days: streak } };
}

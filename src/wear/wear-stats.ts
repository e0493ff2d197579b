import type { Knex } from 'knex';
import { prepared } from '../shared/db/prepared.js';
import { notFound } from '../shared/errors.js';
import {
  addDays,
  localDateOf,
  localDayBounds,
  maxDate,
  todayIn,
  type LocalDate,
} from '../shared/time/local-time.js';
import {
  computeWearStats,
  trackingStart,
  type OutOfMouthSession,
  type WearStats,
} from './stats-computation.js';
import { contactDaysBetween } from '../users/contact-days.js';
import { NO_PROFILE_YET } from '../users/profile.js';
import { sessionsOverlapping, type InstantRange } from './session-reads.js';
import { currentStreak } from './streak.js';

/** docs/resources.md#wear-stats: the goal when the user has no treatment (the column's own default). */
export const DEFAULT_DAILY_WEAR_GOAL_MINUTES = 1320;

/** A session's start and end (null while open) in epoch seconds. */
export type SessionSeconds = [number, number | null];

/** What the wear figures of a range are computed from, read in one statement. */
export interface TrackingBasis {
  user_id: string;
  timezone: string;
  registered_at: Date;
  started_on: LocalDate | null;
  daily_wear_goal_minutes: number | null;
  first_started_at: Date | null;
  /** The sessions overlapping `around` (see aroundDays). */
  sessions: SessionSeconds[];
  /** The days of contact from `contactFrom` to `contactTo`. */
  contact_days: LocalDate[];
}

/**
 * Instants that hold the local days `from`..`to` in any zone. The zone is not known
 * before the user is read, but every local midnight lies within 14 hours of UTC's
 * (UTC−12 to UTC+14), so a day of margin on each side holds them all; the few
 * sessions read beyond the days fall outside every day's window and count for none.
 */
function aroundDays(from: LocalDate, to: LocalDate): InstantRange {
  return {
    from: localDayBounds(addDays(from, -1), 'UTC').start,
    to: localDayBounds(addDays(to, 2), 'UTC').start,
  };
}

/**
 * The user, their treatment's start and goal, their first session's start and the
 * sessions around the requested days, in one round trip: each query costs a round
 * trip to Postgres, the largest part of a request's CPU (bench: get-wear-stats-90d).
 * The sessions come as one JSON array of epoch seconds: the driver parses it with
 * one JSON.parse, where timestamptz strings cost about a microsecond each.
 */
async function trackingBasis(
  knex: Knex,
  cognitoSub: string,
  around: InstantRange,
  contacts: { from: LocalDate; to: LocalDate },
): Promise<TrackingBasis> {
  const spans = sessionsOverlapping(knex, knex.ref('u.id'), around).select(
    knex.raw(`json_build_array(date_part('epoch', started_at), date_part('epoch', ended_at)) as span`),
  );
  const { rows } = (await prepared(
    'wear_stats_basis',
    knex.raw(
      `select u.id as user_id, u.timezone, u.created_at as registered_at, t.started_on,
            t.daily_wear_goal_minutes,
            (select min(started_at) from wear_sessions w where w.user_id = u.id) as first_started_at,
            (select coalesce(json_agg(s.span), '[]') from (?) s) as sessions,
            (select coalesce(json_agg(c.day), '[]') from app_contact_days c
              where c.user_id = u.id and c.day between ?::date and ?::date) as contact_days
       from users u left join treatments t on t.user_id = u.id
      where u.cognito_sub = ? and u.deleted_at is null`,
      [spans, contacts.from, contacts.to, cognitoSub],
    ),
  )) as { rows: TrackingBasis[] };
  const basis = rows[0];
  if (!basis) throw notFound(NO_PROFILE_YET);
  return basis;
}

const fromEpochSeconds = (seconds: number) => new Date(Math.round(seconds * 1000));

const toSession = ([started, ended]: SessionSeconds): OutOfMouthSession => ({
  started_at: fromEpochSeconds(started),
  ended_at: ended === null ? null : fromEpochSeconds(ended),
});

/**
 * The sessions overlapping the local days `first`..`last`, read with one range scan,
 * their times as epoch seconds (float8, exact to well under a microsecond): the
 * driver reads a number about 9 times faster than a timestamptz string. For the
 * streak's stretches before the requested days.
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
  return rows.map((row) => toSession([row.started_s, row.ended_s]));
}

export type StatsRange = { from: LocalDate; to: LocalDate; silentDaysAllowed: number };

export interface RangeStats {
  basis: TrackingBasis;
  trackingStartsAt: Date | null;
  goalMinutes: number;
  /** The days and summary of the range, its streak seen inside the range only. */
  stats: WearStats;
}

/** The range's days in one round trip (see trackingBasis). */
async function loadRange(knex: Knex, cognitoSub: string, range: StatsRange, now: Date): Promise<RangeStats> {
  const margin = range.silentDaysAllowed + 1;
  const basis = await trackingBasis(knex, cognitoSub, aroundDays(range.from, range.to), {
    from: addDays(range.from, -margin),
    to: addDays(range.to, margin),
  });
  return rangeStats(basis, range, now);
}

/**
 * The range's days and summary from its basis: the sessions around the range and the
 * contact days from `silentDaysAllowed + 1` days before it to as many after.
 */
export function rangeStats(basis: TrackingBasis, range: StatsRange, now: Date): RangeStats {
  const { from, to, silentDaysAllowed } = range;
  const zone = basis.timezone;
  const trackingStartsAt = trackingStart(
    {
      treatmentStartedOn: basis.started_on,
      registeredAt: basis.registered_at,
      firstSessionStartedAt: basis.first_started_at,
    },
    zone,
  );
  const goalMinutes = basis.daily_wear_goal_minutes ?? DEFAULT_DAILY_WEAR_GOAL_MINUTES;
  const stats = computeWearStats({
    sessions: basis.sessions.map(toSession),
    zone,
    from,
    to,
    now,
    goalMinutes,
    trackingStartsAt,
    contactDays: new Set(basis.contact_days),
    silentDaysAllowed,
  });
  return { basis, trackingStartsAt, goalMinutes, stats };
}

/**
 * `GET /wear-stats` (docs/resources.md#wear-stats). Only the days that can be reported count: from the
 * start of tracking (or `from`) to today (or `to`); the sessions are read with the
 * user, in one statement. The streak is the current one (see currentStreak), which
 * may read further back than `from`, a stretch at a time.
 */
export async function loadWearStats(
  knex: Knex,
  cognitoSub: string,
  range: StatsRange,
  now = new Date(),
): Promise<WearStats> {
  const { from, to, silentDaysAllowed } = range;
  const margin = silentDaysAllowed + 1;
  const { basis, trackingStartsAt, goalMinutes, stats } = await loadRange(knex, cognitoSub, range, now);
  const zone = basis.timezone;
  const today = todayIn(zone, now);
  const first = trackingStartsAt === null ? null : maxDate(from, localDateOf(trackingStartsAt, zone));
  const loadStretch = async (firstDay: LocalDate, lastDay: LocalDate) => ({
    sessions: await sessionsForDays(knex, basis.user_id, zone, firstDay, lastDay),
    contactDays: new Set(
      await contactDaysBetween(knex, basis.user_id, addDays(firstDay, -margin), addDays(lastDay, margin)),
    ),
  });

  const streak = await currentStreak(
    { zone, now, goalMinutes, trackingStartsAt, silentDaysAllowed, loadStretch },
    first !== null && to >= today ? { first, days: stats.days } : undefined,
  );
  return { days: stats.days, summary: { ...stats.summary, current_streak_days: streak } };
}

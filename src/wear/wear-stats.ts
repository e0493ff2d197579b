import type { Knex } from 'knex';
import { preparedTemplate } from '../shared/db/prepared.js';
import { notFound } from '../shared/errors.js';
import {
  addDays,
  localDateOf,
  maxDate,
  minDate,
  todayIn,
  type LocalDate,
} from '../shared/time/local-time.js';
import { NO_PROFILE_YET } from '../users/profile.js';
import { rolledDaysBetween, rolledWearDay, sessionFromSeconds, settledDays } from './daily-rollup.js';
import {
  computeWearDays,
  summarizeWearDays,
  trackingStart,
  type WearDay,
  type WearStats,
} from './stats-computation.js';
import { currentStreak } from './streak.js';
import { selectTrackingBasis, type TrackingBasis, type TrackingColumns } from './tracking-basis.js';

/** docs/resources.md#wear-stats: the goal when the user has no treatment (the column's own default). */
export const DEFAULT_DAILY_WEAR_GOAL_MINUTES = 1320;

const readTrackingBasis = preparedTemplate<{
  cognitoSub: string;
  from: LocalDate;
  to: LocalDate;
  silentDaysAllowed: number;
  contactMargin: number;
}>('wear_stats_basis', (knex, parameter) =>
  selectTrackingBasis(
    knex,
    knex('users as u')
      .leftJoin('treatments as t', 't.user_id', 'u.id')
      .where('u.cognito_sub', parameter('cognitoSub'))
      .whereNull('u.deleted_at')
      .select(
        'u.id as user_id',
        'u.timezone',
        'u.created_at as registered_at',
        't.started_on',
        't.daily_wear_goal_minutes',
      ),
    'u.id',
    {
      first: knex.raw('?::date', [parameter('from')]),
      last: knex.raw('?::date', [parameter('to')]),
      contactMargin: parameter('contactMargin'),
    },
    parameter('silentDaysAllowed'),
  ),
);

/** The user (by their subject), their plan's start and goal, and the range's tracking basis, in one statement. */
async function trackingBasis(knex: Knex, cognitoSub: string, range: StatsRange): Promise<TrackingBasis> {
  const { rows } = (await readTrackingBasis(knex, {
    cognitoSub,
    from: range.from,
    to: range.to,
    silentDaysAllowed: range.silentDaysAllowed,
    contactMargin: range.silentDaysAllowed + 1,
  })) as { rows: TrackingBasis[] };
  const [basis] = rows;
  if (!basis) throw notFound(NO_PROFILE_YET);
  return basis;
}

export type StatsRange = { from: LocalDate; to: LocalDate; silentDaysAllowed: number };

export interface RangeStats {
  trackingStartsAt: Date | null;
  goalMinutes: number;
  /** The days and summary of the range, its streak seen inside the range only. */
  stats: WearStats;
}

function trackingStartOf(
  basis: Pick<TrackingBasis, 'started_on' | 'registered_at' | 'first_started_at' | 'timezone'>,
) {
  return trackingStart(
    {
      treatmentStartedOn: basis.started_on,
      registeredAt: basis.registered_at,
      firstSessionStartedAt: basis.first_started_at,
    },
    basis.timezone,
  );
}

/**
 * The range's days and summary from its basis: the rollup's rows up to `rolled_through`,
 * the days after it computed from the sessions and contact days.
 */
export function rangeStats(
  basis: Omit<TrackingBasis, 'user_id'> & TrackingColumns,
  range: StatsRange,
  now: Date,
): RangeStats {
  const { from, to, silentDaysAllowed } = range;
  const zone = basis.timezone;
  const trackingStartsAt = trackingStartOf(basis);
  const goalMinutes = basis.daily_wear_goal_minutes ?? DEFAULT_DAILY_WEAR_GOAL_MINUTES;
  const rolled = basis.rolled_days
    .filter(([date]) => date >= from && date <= to)
    .map((row) => rolledWearDay(row, goalMinutes));
  const computedFrom = basis.rolled_through === null ? from : maxDate(from, addDays(basis.rolled_through, 1));
  const computed =
    computedFrom > to
      ? []
      : computeWearDays({
          sessions: basis.sessions.map(([started, ended]) => sessionFromSeconds(started, ended)),
          zone,
          from: computedFrom,
          to,
          now,
          goalMinutes,
          trackingStartsAt,
          contactDays: new Set(basis.contact_days),
          silentDaysAllowed,
        });
  const days = [...rolled, ...computed];
  return {
    trackingStartsAt,
    goalMinutes,
    stats: { days, summary: summarizeWearDays(days, todayIn(zone, now)) },
  };
}

/**
 * `GET /wear-stats` (docs/resources.md#wear-stats). Only the days that can be reported count: from the
 * start of tracking (or `from`) to today (or `to`); the days are read with the user, in
 * one statement. The streak is the current one (see currentStreak), which may read
 * further back than `from`, a stretch at a time: from the rollup up to `rolled_through`.
 */
export async function loadWearStats(
  knex: Knex,
  cognitoSub: string,
  range: StatsRange,
  now = new Date(),
): Promise<WearStats> {
  const { from, to, silentDaysAllowed } = range;
  const basis = await trackingBasis(knex, cognitoSub, range);
  const { trackingStartsAt, goalMinutes, stats } = rangeStats(basis, range, now);
  const zone = basis.timezone;
  const today = todayIn(zone, now);
  const first = trackingStartsAt === null ? null : maxDate(from, localDateOf(trackingStartsAt, zone));
  const rolledThrough = basis.rolled_through;
  const loadDays = async (firstDay: LocalDate, lastDay: LocalDate): Promise<WearDay[]> => {
    const lastRolled = rolledThrough === null ? addDays(firstDay, -1) : minDate(lastDay, rolledThrough);
    const [rolled, computed] = await Promise.all([
      rolledDaysBetween(knex, basis.user_id, firstDay, lastRolled, goalMinutes),
      settledDays(knex, basis.user_id, zone, {
        first: maxDate(firstDay, addDays(lastRolled, 1)),
        last: lastDay,
        now,
        trackingStartsAt,
        silentDaysAllowed,
        goalMinutes,
      }),
    ]);
    return [...rolled, ...computed];
  };
  const streak = await currentStreak(
    { zone, now, trackingStartsAt, loadDays },
    first !== null && to >= today ? { first, days: stats.days } : undefined,
  );
  return { days: stats.days, summary: { ...stats.summary, current_streak_days: streak } };
}

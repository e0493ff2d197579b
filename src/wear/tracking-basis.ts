import type { Knex } from 'knex';
import type { LocalDate } from '../shared/time/local-time.js';
import { sessionsOverlapping } from './session-reads.js';

/** A session's start and end (null while open) in epoch seconds. */
export type SessionSeconds = [number, number | null];

/** A rollup row as the basis carries it: day, day_minutes, tracked_minutes, out_minutes, confirmed. */
export type RolledDayRow = [LocalDate, number, number, number, boolean];

/** What the wear figures of a range of days are computed from, read with the user in one statement. */
export interface TrackingBasis {
  user_id: string;
  timezone: string;
  registered_at: Date;
  started_on: LocalDate | null;
  daily_wear_goal_minutes: number | null;
  first_started_at: Date | null;
  /**
   * The last day whose rollup row is true (src/wear/daily-rollup.ts); null when none is.
   * The days up to it come from `rolled_days`, the later ones from `sessions`.
   */
  rolled_through: LocalDate | null;
  /** The rollup rows of the range's days up to `rolled_through`. */
  rolled_days: RolledDayRow[];
  /** The sessions overlapping the range's days after `rolled_through`. */
  sessions: SessionSeconds[];
  /** The days of contact around the range (the silence margin on each side). */
  contact_days: LocalDate[];
}

/** The basis's own columns, read beside the user's (the rest come from users and treatments). */
export type TrackingColumns = Pick<
  TrackingBasis,
  'first_started_at' | 'rolled_through' | 'rolled_days' | 'sessions' | 'contact_days'
>;

/**
 * The local days a basis is read for, as SQL date expressions: literal dates for
 * GET /wear-stats, the current aligner's days (computed in the statement) for GET /treatment.
 */
export interface BasisDays {
  first: Knex.Raw;
  last: Knex.Raw;
  /** Days of contact read beyond each end: a silence is judged across the range's edges. */
  contactMargin: number | Knex.Raw;
}

/**
 * Adds to `query` (which reads the user as `users` or an alias, `userId` being its id
 * column, e.g. `'u.id'`) the columns of the user's tracking basis: each query costs a
 * round trip to Postgres, the largest part of a request's CPU (bench: get-wear-stats-90d,
 * get-treatment), so the basis is read in the statement that reads the user.
 *
 * The zone is not known before the user is read, but every local midnight lies within
 * 14 hours of UTC's (UTC−12 to UTC+14), so the sessions of the local days `first`..`last`
 * lie between UTC's midnights a day before `first` and two days after `last`; the few
 * read beyond the days count for none. After `rolled_through` (a day with a rollup row),
 * sessions are read from its UTC midnight, which is before any zone's next day begins.
 * Sessions come as one JSON array of epoch seconds: the driver parses it with one
 * JSON.parse, where timestamptz strings cost about a microsecond each.
 */
export function selectTrackingBasis(
  knex: Knex,
  query: Knex.QueryBuilder,
  userId: string,
  days: BasisDays,
  silentDaysAllowed: number | Knex.Raw,
): Knex.QueryBuilder {
  const user = knex.ref(userId);
  // Rows rolled under another silence allowance are not the figures asked for (see daily-rollup.ts).
  const rolledThrough = knex.ref('rollup_state.rolled_through');
  const utcMidnight = (date: Knex.Raw | Knex.Ref<string, Record<string, string>>) =>
    knex.raw(`((?)::timestamp at time zone 'UTC')`, [date]);
  const spans = sessionsOverlapping(knex, user, {
    from: knex.raw(`greatest(?, coalesce(?, '-infinity'::timestamptz))`, [
      utcMidnight(knex.raw('(?) - 1', [days.first])),
      utcMidnight(rolledThrough),
    ]),
    to: utcMidnight(knex.raw('(?) + 2', [days.last])),
  }).select(
    knex.raw(`json_build_array(date_part('epoch', started_at), date_part('epoch', ended_at)) as span`),
  );
  return query
    .leftJoin('wear_rollup_states as rollup_state', (join) =>
      join
        .on('rollup_state.user_id', userId)
        .andOn('rollup_state.silent_days_allowed', knex.raw('?', [silentDaysAllowed])),
    )
    .select(
      knex.raw('(select min(started_at) from wear_sessions w where w.user_id = ?) as first_started_at', [
        user,
      ]),
      'rollup_state.rolled_through',
      knex.raw(
        `(select coalesce(json_agg(json_build_array(d.day, d.day_minutes, d.tracked_minutes, d.out_minutes,
                  d.confirmed) order by d.day), '[]')
            from wear_daily_rollups d
           where d.user_id = ? and d.day between (?) and (?) and d.day <= ?) as rolled_days`,
        [user, days.first, days.last, rolledThrough],
      ),
      knex.raw(`(select coalesce(json_agg(s.span), '[]') from (?) s) as sessions`, [spans]),
      knex.raw(
        `(select coalesce(json_agg(c.day), '[]') from app_contact_days c
           where c.user_id = ? and c.day between (?) - ?::int and (?) + ?::int) as contact_days`,
        [user, days.first, days.contactMargin, days.last, days.contactMargin],
      ),
    );
}

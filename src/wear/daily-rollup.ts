import type { Knex } from 'knex';
import {
  addDays,
  localDateOf,
  localDayBounds,
  maxDate,
  todayIn,
  type LocalDate,
} from '../shared/time/local-time.js';
import { contactDaysBetween } from '../users/contact-days.js';
import { sessionsOverlapping } from './session-reads.js';
import {
  computeWearDays,
  dayLengthMinutes,
  settledWearDay,
  trackingStart,
  type OutOfMouthSession,
  type WearDay,
} from './stats-computation.js';
import type { RolledDayRow } from './tracking-basis.js';

/**
 * The daily rollup (docs/decisions/012-wear-daily-rollups.md): one row per user and
 * settled local day with its wear, out and tracked minutes and whether it is confirmed,
 * so that long ranges, streaks and the back office read a row a day, not every session.
 * Only settled days are rolled: their figures no longer change with time, only when
 * someone changes what they were computed from, and the triggers of
 * migrations/20261203000300_create_wear_daily_rollups.js move `rolled_through` back then.
 */

/**
 * The last settled day: a day's confirmation depends on the contact of the
 * `silentDaysAllowed` days after it, which are known once those days are over; one more
 * day of margin covers a contact of the last minute recorded after midnight.
 */
export function settledThrough(today: LocalDate, silentDaysAllowed: number): LocalDate {
  return addDays(today, -(silentDaysAllowed + 2));
}

export interface RollUpResult {
  /** Days written (recomputed). */
  days: number;
  rolledThrough: LocalDate;
}

interface RollUpBasis {
  timezone: string;
  registered_at: Date;
  started_on: LocalDate | null;
  first_started_at: Date | null;
  rolled_through: LocalDate | null;
  silent_days_allowed: number | null;
}

/**
 * Brings the user's rollup up to the last settled day: the days after `rolled_through`
 * (every day when it is null or was confirmed under another allowance) are recomputed
 * from the sessions, as GET /wear-stats would, and written. Under the user lock every
 * wear write takes (src/treatment/locks.ts), so no session changes while it reads; a
 * change committed after it moves `rolled_through` back again. Null for an erased user.
 * Returns the days it wrote.
 */
export async function rollUpUser(
  knex: Knex,
  userId: string,
  silentDaysAllowed: number,
  options: {
    now?: Date;
    /** Recompute every day, not only those after `rolled_through`. */ rebuild?: boolean;
  } = {},
): Promise<RollUpResult | null> {
  const now = options.now ?? new Date();
  return knex.transaction(async (trx) => {
    const basis = (await trx('users as u')
      .leftJoin('treatments as t', 't.user_id', 'u.id')
      .leftJoin('wear_rollup_states as r', 'r.user_id', 'u.id')
      .where('u.id', userId)
      .whereNull('u.deleted_at')
      .forUpdate('u')
      .first(
        'u.timezone',
        'u.created_at as registered_at',
        't.started_on',
        trx.raw('(select min(started_at) from wear_sessions w where w.user_id = u.id) as first_started_at'),
        'r.rolled_through',
        'r.silent_days_allowed',
      )) as RollUpBasis | undefined;
    if (!basis) {
      // Erased (the row goes with the account): nothing more is due.
      await trx('wear_rollup_states')
        .where({ user_id: userId })
        .update({ due_at: trx.raw(`'infinity'`) });
      return null;
    }
    const zone = basis.timezone;
    const last = settledThrough(todayIn(zone, now), silentDaysAllowed);
    const valid =
      !options.rebuild && basis.silent_days_allowed === silentDaysAllowed ? basis.rolled_through : null;
    const trackingStartsAt = trackingStart(
      {
        treatmentStartedOn: basis.started_on,
        registeredAt: basis.registered_at,
        firstSessionStartedAt: basis.first_started_at,
      },
      zone,
    );
    await trx('wear_daily_rollups')
      .where({ user_id: userId })
      .modify((query) => void (valid === null ? query : query.where('day', '>', valid)))
      .delete();
    const first =
      valid !== null ? addDays(valid, 1) : trackingStartsAt && localDateOf(trackingStartsAt, zone);
    let written = 0;
    if (first !== null && first <= last) {
      const days = await settledDays(trx, userId, zone, {
        first,
        last,
        now,
        trackingStartsAt,
        silentDaysAllowed,
      });
      const rows = days
        .filter((day) => day.tracked_minutes > 0)
        .map((day) => ({
          user_id: userId,
          day: day.date,
          day_minutes: dayLengthMinutes(day.date, zone),
          tracked_minutes: day.tracked_minutes,
          out_minutes: day.out_minutes,
          confirmed: day.confirmed,
        }));
      // 6 bindings a row; a statement takes 65,535 at most.
      for (let start = 0; start < rows.length; start += 5000)
        await trx('wear_daily_rollups').insert(rows.slice(start, start + 5000));
      written = rows.length;
    }
    const rolledThrough = valid !== null ? maxDate(valid, last) : last;
    // Due again at the midnight that settles the next day.
    const state = {
      rolled_through: rolledThrough,
      silent_days_allowed: silentDaysAllowed,
      due_at: localDayBounds(addDays(rolledThrough, silentDaysAllowed + 3), zone).start,
    };
    await trx('wear_rollup_states')
      .insert({ user_id: userId, ...state })
      .onConflict('user_id')
      .merge({ ...state, updated_at: trx.fn.now() });
    return { days: written, rolledThrough };
  });
}

/** The days `first`..`last` computed from sessions and contacts, as GET /wear-stats does. */
export async function settledDays(
  knex: Knex,
  userId: string,
  zone: string,
  range: {
    first: LocalDate;
    last: LocalDate;
    now: Date;
    trackingStartsAt: Date | null;
    silentDaysAllowed: number;
    /** The goal the days are judged against; the rollup keeps no goal, so any will do there. */
    goalMinutes?: number;
  },
): Promise<WearDay[]> {
  const { first, last, silentDaysAllowed } = range;
  if (first > last) return [];
  const margin = silentDaysAllowed + 1;
  const [sessions, contactDays] = await Promise.all([
    sessionsForDays(knex, userId, zone, first, last),
    contactDaysBetween(knex, userId, addDays(first, -margin), addDays(last, margin)),
  ]);
  return computeWearDays({
    sessions,
    zone,
    from: first,
    to: last,
    now: range.now,
    goalMinutes: range.goalMinutes ?? 0,
    trackingStartsAt: range.trackingStartsAt,
    contactDays: new Set(contactDays),
    silentDaysAllowed,
  });
}

/**
 * The sessions overlapping the local days `first`..`last`, read with one range scan,
 * their times as epoch seconds (float8, exact to well under a microsecond): the
 * driver reads a number about 9 times faster than a timestamptz string.
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
  return rows.map((row) => sessionFromSeconds(row.started_s, row.ended_s));
}

const fromEpochSeconds = (seconds: number) => new Date(Math.round(seconds * 1000));

export function sessionFromSeconds(started: number, ended: number | null): OutOfMouthSession {
  return { started_at: fromEpochSeconds(started), ended_at: ended === null ? null : fromEpochSeconds(ended) };
}

/** A rollup row of a basis (src/wear/tracking-basis.ts) as the day GET /wear-stats shows. */
export function rolledWearDay(
  [date, dayMinutes, trackedMinutes, outMinutes, confirmed]: RolledDayRow,
  goalMinutes: number,
): WearDay {
  return settledWearDay({ date, dayMinutes, trackedMinutes, outMinutes, confirmed }, goalMinutes);
}

/** The rollup rows of `first`..`last` (all before or on `rolled_through`) as days. */
export async function rolledDaysBetween(
  knex: Knex,
  userId: string,
  first: LocalDate,
  last: LocalDate,
  goalMinutes: number,
): Promise<WearDay[]> {
  if (first > last) return [];
  const rows = (await knex('wear_daily_rollups')
    .where({ user_id: userId })
    .whereBetween('day', [first, last])
    .orderBy('day')
    .select('day', 'day_minutes', 'tracked_minutes', 'out_minutes', 'confirmed')) as Array<{
    day: LocalDate;
    day_minutes: number;
    tracked_minutes: number;
    out_minutes: number;
    confirmed: boolean;
  }>;
  return rows.map((row) =>
    rolledWearDay(
      [row.day, row.day_minutes, row.tracked_minutes, row.out_minutes, row.confirmed],
      goalMinutes,
    ),
  );
}

import type { Knex } from 'knex';
import type { LocalDate } from '../shared/time/local-time.js';

/**
 * The local days on which a user's app was in contact with the service (an authenticated
 * request), one row per user and day (docs/resources.md#wear-stats): what tells a day of
 * wear the app could not see from a day nobody recorded. Decision record 011 says how it
 * is recorded without a write per request.
 */

/**
 * Records that the user's app is in contact today, in the user's own zone. Returns the
 * instant the user's local day ends (until then, another contact adds nothing), or
 * null when the subject has no profile (yet).
 */
export async function recordContact(knex: Knex, cognitoSub: string): Promise<Date | null> {
  const { rows } = (await knex.raw(
    `with u as (
       select id, (now() at time zone timezone)::date as day, timezone
         from users where cognito_sub = ? and deleted_at is null
     ), recorded as (
       insert into app_contact_days (user_id, day) select id, day from u
       on conflict do nothing
     )
     select ((day + 1)::timestamp at time zone timezone) as day_ends_at from u`,
    [cognitoSub],
  )) as { rows: Array<{ day_ends_at: Date }> };
  return rows[0]?.day_ends_at ?? null;
}

/** The user's days of contact from `from` to `to` (both included). */
export async function contactDaysBetween(
  knex: Knex,
  userId: string,
  from: LocalDate,
  to: LocalDate,
): Promise<LocalDate[]> {
  const rows = (await knex('app_contact_days')
    .where({ user_id: userId })
    .whereBetween('day', [from, to])
    .orderBy('day')
    .select('day')) as Array<{ day: LocalDate }>;
  return rows.map((row) => row.day);
}

import type { Knex } from 'knex';
import { conflict, notFound } from '../shared/errors.js';
import { User, activeUsers } from './model.js';
import { presentDentistSummary } from '../dentists/present.js';
import { commitThenDispatch } from '../shared/db/transaction.js';
import type { Dispatcher } from '../shared/jobs/dispatcher.js';
import { replanProgressReminder, replanWeeklySummary } from '../reminders/replan.js';
import type { Config, HubSpotTargetField } from '../shared/config.js';
import { linkContactOnRegistration } from '../hubspot/apply.js';
import type { PutProfileBody } from './schema.js';

export function presentProfile(user: User) {
  return {
    cognito_sub: user.cognito_sub,
    email: user.email,
    first_name: user.first_name,
    last_name: user.last_name,
    timezone: user.timezone,
    locale: user.locale,
    created_at: new Date(user.created_at).toISOString(),
    updated_at: new Date(user.updated_at).toISOString(),
  };
}

/**
 * Creates or replaces the profile in one statement; `created` tells 201 from 200. A
 * change of time zone moves the progress reminder and the weekly summary (they are set
 * in local time); a new user gets their first weekly summary; a new
 * user is linked to the HubSpot contact with their email (docs/resources.md#profile). All in one transaction.
 */
export async function upsertProfile(
  knex: Knex,
  dispatcher: Dispatcher,
  propertyMap: Config['HUBSPOT_PROPERTY_MAP'],
  cognitoSub: string,
  body: PutProfileBody,
): Promise<{ user: User; created: boolean }> {
  const fields = {
    email: body.email,
    first_name: body.first_name ?? null,
    last_name: body.last_name ?? null,
    timezone: body.timezone,
    locale: body.locale,
  };
  try {
    return await commitThenDispatch(knex, dispatcher, async (trx, jobs) => {
      const [row] = (await trx('users')
        .insert({ cognito_sub: cognitoSub, ...fields })
        .onConflict('cognito_sub')
        .merge({ ...fields, updated_at: trx.fn.now() })
        // An account being erased is not resurrected by a late PUT.
        .where('users.deleted_at', null)
        // xmax = 0 only on a freshly inserted tuple: the cheapest way to tell insert from update.
        .returning(['*', trx.raw('(xmax = 0) as inserted')])) as Array<User & { inserted: boolean }>;
      if (!row) throw conflict('This account is being erased; try again in a minute', 'erasure_in_progress');
      const { inserted, ...user } = row;
      if (inserted) await linkContactOnRegistration(trx, user, propertyMap, jobs, providedFields(body));
      else await replanProgressReminder(trx, user.id, jobs);
      // A new user's first Sunday, or a new zone's.
      await replanWeeklySummary(trx, user.id, jobs);
      return { user, created: inserted };
    });
  } catch (error) {
    if ((error as { constraint?: string }).constraint === 'users_email_lower_unique') {
      throw conflict('This email address belongs to another account', 'email_taken');
    }
    throw error;
  }
}

function providedFields(body: PutProfileBody): Set<HubSpotTargetField> {
  const provided = new Set<HubSpotTargetField>(['email']);
  if (body.first_name) provided.add('first_name');
  if (body.last_name) provided.add('last_name');
  return provided;
}

export const NO_PROFILE_YET = 'No profile yet: create it with PUT first';

export async function findProfile(knex: Knex, cognitoSub: string): Promise<User> {
  const user = await activeUsers(knex).where({ cognito_sub: cognitoSub }).first();
  if (!user) throw notFound(NO_PROFILE_YET);
  return user;
}

/**
 * `GET` the profile: the user and their current dentist in one round trip (the app
 * reads it at every start; each query's round trip costs more than the rest of the
 * request).
 */
export async function readProfile(knex: Knex, cognitoSub: string) {
  const row = (await knex('users')
    .leftJoin('dentists', 'dentists.id', 'users.dentist_id')
    .where('users.cognito_sub', cognitoSub)
    .whereNull('users.deleted_at')
    .first(
      'users.*',
      'dentists.name as dentist_name',
      'dentists.practice_name as dentist_practice_name',
      'dentists.city as dentist_city',
    )) as
    | (User & {
        dentist_id: number | null;
        dentist_name: string | null;
        dentist_practice_name: string | null;
        dentist_city: string | null;
      })
    | undefined;
  if (!row) throw notFound(NO_PROFILE_YET);
  const dentist =
    row.dentist_id === null
      ? null
      : presentDentistSummary({
          id: row.dentist_id,
          name: row.dentist_name!,
          practice_name: row.dentist_practice_name,
          city: row.dentist_city,
        });
  return { ...presentProfile(row), dentist };
}

import type { z } from 'zod';
import type { Knex } from 'knex';
import type { Dentist } from './dentist-model.js';
import type { DentistChangeRequest } from './change-request-model.js';
import type { changeRequestResponse, dentistResponse, dentistSummary } from './schema.js';

export type DentistSummary = z.output<typeof dentistSummary>;

export function presentDentistSummary(
  dentist: Pick<Dentist, 'id' | 'name' | 'practice_name' | 'city'>,
): DentistSummary {
  return { id: dentist.id, name: dentist.name, practice_name: dentist.practice_name, city: dentist.city };
}

export type DentistRow = Pick<
  Dentist,
  'id' | 'name' | 'practice_name' | 'city' | 'active' | 'created_at' | 'updated_at'
>;

export function presentDentist(dentist: DentistRow): z.output<typeof dentistResponse> {
  return {
    ...presentDentistSummary(dentist),
    active: dentist.active,
    created_at: new Date(dentist.created_at).toISOString(),
    updated_at: new Date(dentist.updated_at).toISOString(),
  };
}

/** A request row joined with its dentist's directory entry (see `withDentist`). */
export type ChangeRequestRow = DentistChangeRequest & {
  dentist_name: string;
  dentist_practice_name: string | null;
  dentist_city: string | null;
};

/** Selects a request with the dentist's name, practice and city, for `presentChangeRequest`. */
export function withDentist(knex: Knex) {
  return knex('dentist_change_requests as r')
    .join('dentists as d', 'd.id', 'r.dentist_id')
    .select(
      'r.*',
      'd.name as dentist_name',
      'd.practice_name as dentist_practice_name',
      'd.city as dentist_city',
    );
}

export function presentChangeRequest(row: ChangeRequestRow): z.output<typeof changeRequestResponse> {
  return {
    id: row.id,
    dentist_id: row.dentist_id,
    dentist: {
      id: row.dentist_id,
      name: row.dentist_name,
      practice_name: row.dentist_practice_name,
      city: row.dentist_city,
    },
    status: row.status,
    jarvis_ticket_id: row.jarvis_ticket_id,
    note: row.note,
    // Coarse on purpose: the app can say "not available yet" without seeing Jarvis's error text.
    failure_reason:
      row.status === 'failed'
        ? row.last_error === 'not_configured'
          ? 'not_configured'
          : 'back_office_error'
        : null,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

/** The user's current dentist for the profile (docs/resources.md#profile), whether or not still active. */
export async function currentDentist(knex: Knex, userId: string): Promise<DentistSummary | null> {
  const dentist = (await knex('users')
    .join('dentists', 'dentists.id', 'users.dentist_id')
    .where('users.id', userId)
    .first('dentists.id', 'dentists.name', 'dentists.practice_name', 'dentists.city')) as
    Pick<Dentist, 'id' | 'name' | 'practice_name' | 'city'> | undefined;
  return dentist ? presentDentistSummary(dentist) : null;
}

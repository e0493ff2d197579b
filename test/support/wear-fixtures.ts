import type { TestApp } from './app.js';
import { newPatient, type Patient } from './patients.js';

export { call, newPatient, type Answer, type Patient } from './patients.js';

/**
 * A patient registered long ago whose app has talked to the service every day since:
 * every day is tracked from the treatment's start and confirmed, as for a faithful user.
 */
export async function faithfulPatient(
  app: TestApp,
  timezone: string,
  registeredAt = new Date('2020-01-01T00:00:00Z'),
): Promise<Patient> {
  const patient = await newPatient(app, { timezone, created_at: registeredAt });
  await inContact(app, patient, registeredAt.toISOString().slice(0, 10), '2030-12-31');
  return patient;
}

/** The patient's app in contact on every local day from `from` to `to` (both included). */
export async function inContact(app: TestApp, patient: Patient, from: string, to: string): Promise<void> {
  await app.deps.knex.raw(
    `insert into app_contact_days (user_id, day)
     select ?, d::date from generate_series(?::date, ?::date, interval '1 day') d
     on conflict do nothing`,
    [patient.user.id, from, to],
  );
}

/** A treatment row; only the fields the wear statistics read matter here. */
export async function createTreatment(
  app: TestApp,
  userId: string,
  fields: { started_on: string; daily_wear_goal_minutes?: number },
): Promise<void> {
  await app.deps.knex('treatments').insert({
    user_id: userId,
    status: 'active',
    total_aligners: 20,
    current_aligner: 1,
    change_interval_days: 14,
    current_aligner_started_on: fields.started_on,
    ...fields,
  });
}

export const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

export const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

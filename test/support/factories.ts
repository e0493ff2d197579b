import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { User } from '../../src/users/model.js';

let sequence = 0;

/** A user row with unique sub and email; any field can be overridden. */
export async function createUser(knex: Knex, overrides: Partial<User> = {}): Promise<User> {
  sequence += 1;
  const [user] = (await knex('users')
    .insert({
      cognito_sub: randomUUID(),
      email: `patient-${sequence}-${randomUUID().slice(0, 8)}@example.com`,
      first_name: 'Alex',
      last_name: 'Smile',
      timezone: 'Europe/London',
      locale: 'en-GB',
      ...overrides,
    })
    .returning('*')) as User[];
  if (!user) throw new Error('user not created');
  return user;
}

/** A reminder row (pending, an hour ahead, unless overridden). */
export async function createReminder(
  knex: Knex,
  overrides: Partial<import('../../src/reminders/model.js').Reminder> & { user_id: string },
): Promise<import('../../src/reminders/model.js').Reminder> {
  const [reminder] = (await knex('reminders')
    .insert({
      type: 'progress',
      send_after: new Date(Date.now() + 3600_000),
      aligner_number: 2,
      ...overrides,
    })
    .returning('*')) as Array<import('../../src/reminders/model.js').Reminder>;
  if (!reminder) throw new Error('reminder not created');
  return reminder;
}

/** A wear session row (closed, an hour long, a day ago, unless overridden). */
export async function createWearSession(
  knex: Knex,
  overrides: Partial<import('../../src/wear/model.js').WearSession> & { user_id: string },
): Promise<import('../../src/wear/model.js').WearSession> {
  const started = Date.now() - 24 * 3600_000;
  const [session] = (await knex('wear_sessions')
    .insert({
      id: randomUUID(),
      started_at: new Date(started),
      ended_at: new Date(started + 3600_000),
      reason: 'meal',
      ...overrides,
    })
    .returning('*')) as Array<import('../../src/wear/model.js').WearSession>;
  if (!session) throw new Error('wear session not created');
  return session;
}

/** A treatment row (aligner 1 of 20, 14 days each, started today in UTC, active, unless overridden). */
export async function createTreatment(
  knex: Knex,
  overrides: Partial<import('../../src/treatment/model.js').Treatment> & { user_id: string },
): Promise<import('../../src/treatment/model.js').Treatment> {
  const today = new Date().toISOString().slice(0, 10);
  const [treatment] = (await knex('treatments')
    .insert({
      status: 'active',
      total_aligners: 20,
      current_aligner: 1,
      change_interval_days: 14,
      started_on: today,
      current_aligner_started_on: overrides.started_on ?? today,
      ...overrides,
    })
    .returning('*')) as Array<import('../../src/treatment/model.js').Treatment>;
  if (!treatment) throw new Error('treatment not created');
  return treatment;
}

/** An aligner change row (aligner 2, changed today in UTC, unless overridden). */
export async function createAlignerChange(
  knex: Knex,
  overrides: Partial<import('../../src/treatment/aligner-change-model.js').AlignerChange> & {
    user_id: string;
  },
): Promise<import('../../src/treatment/aligner-change-model.js').AlignerChange> {
  const [change] = (await knex('aligner_changes')
    .insert({ aligner_number: 2, changed_on: new Date().toISOString().slice(0, 10), ...overrides })
    .returning('*')) as Array<import('../../src/treatment/aligner-change-model.js').AlignerChange>;
  if (!change) throw new Error('aligner change not created');
  return change;
}

let dentistSequence = 100_000;

/** A dentist of the directory (active, with a unique Jarvis id, unless overridden). */
export async function createDentist(
  knex: Knex,
  overrides: Partial<import('../../src/dentists/dentist-model.js').Dentist> = {},
): Promise<import('../../src/dentists/dentist-model.js').Dentist> {
  dentistSequence += 1;
  const [dentist] = (await knex('dentists')
    .insert({
      id: dentistSequence,
      name: `Dr Dentist ${dentistSequence}`,
      practice_name: 'Bright Smiles',
      city: 'Leeds',
      ...overrides,
    })
    .returning('*')) as Array<import('../../src/dentists/dentist-model.js').Dentist>;
  if (!dentist) throw new Error('dentist not created');
  return dentist;
}

/** A dentist change request row (pending, unless overridden). */
export async function createDentistChangeRequest(
  knex: Knex,
  overrides: Partial<import('../../src/dentists/change-request-model.js').DentistChangeRequest> & {
    user_id: string;
    dentist_id: number;
  },
): Promise<import('../../src/dentists/change-request-model.js').DentistChangeRequest> {
  const [request] = (await knex('dentist_change_requests')
    .insert({ ...overrides })
    .returning('*')) as Array<import('../../src/dentists/change-request-model.js').DentistChangeRequest>;
  if (!request) throw new Error('dentist change request not created');
  return request;
}

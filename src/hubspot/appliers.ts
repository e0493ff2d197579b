import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { HubSpotTargetField } from '../shared/config.js';
import { completeMatchingRequest } from '../dentists/change-request-model.js';
import { MAX_DENTIST_ID } from '../dentists/dentist-model.js';
import { isLocalDate } from '../shared/time/local-time.js';
import type { JobRequest } from '../shared/jobs/queues.js';
import { replanProgressReminder } from '../reminders/replan.js';

/**
 * How a HubSpot property value lands on our data (docs/hubspot.md#property-map). A value that does not
 * validate throws: the event fails, is retried, ends `failed`, and ops can replay it
 * once the cause is fixed. An empty value clears what can be cleared and is ignored
 * otherwise.
 */
export type Applier = (
  trx: Knex.Transaction,
  userId: string,
  value: string,
  jobs: JobRequest[],
) => Promise<void>;

export class InvalidHubSpotValue extends Error {}

function parseWith<T>(schema: z.ZodType<T>, value: string, field: string): T {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new InvalidHubSpotValue(`${field}: ${result.error.issues[0]?.message ?? 'invalid'}`);
  return result.data;
}

const wholeNumber = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** HubSpot date properties arrive as epoch milliseconds at UTC midnight, or as YYYY-MM-DD. */
function hubspotDate(value: string): string {
  if (/^\d+$/.test(value)) return DateTime.fromMillis(Number(value), { zone: 'utc' }).toISODate()!;
  if (isLocalDate(value)) return value;
  throw new InvalidHubSpotValue(`started_on: "${value.slice(0, 40)}" is not a date`);
}

async function updateUser(
  trx: Knex.Transaction,
  userId: string,
  fields: Record<string, unknown>,
): Promise<void> {
  try {
    await trx('users')
      .where({ id: userId })
      .update({ ...fields, updated_at: trx.fn.now() });
  } catch (error) {
    if ((error as { constraint?: string }).constraint === 'users_email_lower_unique')
      throw new InvalidHubSpotValue('email: belongs to another account');
    throw error;
  }
}

/** Treatment fields apply to an existing plan only: HubSpot alone cannot start one. */
async function updateTreatment(
  trx: Knex.Transaction,
  userId: string,
  fields: Record<string, unknown>,
  jobs: JobRequest[],
) {
  // Users before treatments, the order every route takes, so the two cannot deadlock.
  await trx('users').where({ id: userId }).forUpdate().first('id');
  const treatment = (await trx('treatments').where({ user_id: userId }).forUpdate().first()) as
    { current_aligner: number; current_aligner_started_on: string } | undefined;
  if (!treatment) return;
  if (typeof fields.total_aligners === 'number' && fields.total_aligners < treatment.current_aligner)
    throw new InvalidHubSpotValue(`total_aligners: ${fields.total_aligners} is below the current aligner`);
  if (typeof fields.started_on === 'string' && fields.started_on > treatment.current_aligner_started_on)
    throw new InvalidHubSpotValue('started_on: after the current aligner started');
  await trx('treatments')
    .where({ user_id: userId })
    .update({ ...fields, updated_at: trx.fn.now() });
  await replanProgressReminder(trx, userId, jobs);
}

/**
 * HubSpot's `assigned_dentist` (docs/hubspot.md#property-map): the user's dentist, completing a matching
 * open change request, as an assignment by Jarvis does. A dentist we do not know (yet)
 * fails the event; once Jarvis has created it, a replay applies it.
 */
async function assignDentistFromHubSpot(trx: Knex.Transaction, userId: string, value: string): Promise<void> {
  if (value === '') return;
  const dentistId = parseWith(wholeNumber(1, MAX_DENTIST_ID), value, 'dentist_id');
  const dentist = (await trx('dentists').where({ id: dentistId }).forShare().first('active')) as
    { active: boolean } | undefined;
  if (!dentist?.active) throw new InvalidHubSpotValue(`dentist_id: ${dentistId} is not an active dentist`);
  await updateUser(trx, userId, { dentist_id: dentistId });
  await completeMatchingRequest(trx, userId, dentistId);
}

export const appliers: Record<HubSpotTargetField, Applier> = {
  dentist_id: assignDentistFromHubSpot,
  email: async (trx, userId, value) => {
    if (value === '') return;
    await updateUser(trx, userId, { email: parseWith(z.email().max(254), value.trim(), 'email') });
  },
  first_name: async (trx, userId, value) =>
    updateUser(trx, userId, {
      first_name: value.trim() === '' ? null : parseWith(z.string().trim().max(100), value, 'first_name'),
    }),
  last_name: async (trx, userId, value) =>
    updateUser(trx, userId, {
      last_name: value.trim() === '' ? null : parseWith(z.string().trim().max(100), value, 'last_name'),
    }),
  total_aligners: async (trx, userId, value, jobs) => {
    if (value === '') return;
    await updateTreatment(
      trx,
      userId,
      { total_aligners: parseWith(wholeNumber(1, 100), value, 'total_aligners') },
      jobs,
    );
  },
  change_interval_days: async (trx, userId, value, jobs) => {
    if (value === '') return;
    await updateTreatment(
      trx,
      userId,
      { change_interval_days: parseWith(wholeNumber(1, 30), value, 'change_interval_days') },
      jobs,
    );
  },
  started_on: async (trx, userId, value, jobs) => {
    if (value === '') return;
    await updateTreatment(trx, userId, { started_on: hubspotDate(value) }, jobs);
  },
};

import { z } from 'zod';
import { CHANGE_REQUEST_STATUSES } from './change-request-model.js';
import { MAX_DENTIST_ID } from './dentist-model.js';
import { pageSchema, paginationQuery } from '../api/pagination.js';

const POSITIVE = 'must be a positive whole number';

/** A dentist id in a body: Jarvis's positive integer, as a JSON number (strings are refused, not coerced). */
export const dentistId = z
  .number({ error: 'must be a number' })
  .int({ error: 'must be a whole number' })
  .min(1, { error: POSITIVE })
  .max(MAX_DENTIST_ID, { error: `must be at most ${MAX_DENTIST_ID}` });

/** A dentist id in a path: digits only (no sign, exponent or leading zero), then the same bounds. */
export const dentistIdParams = z.object({
  dentist_id: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/, { error: POSITIVE })
    .transform(Number)
    .pipe(dentistId),
});

const text = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` });

/** Fields left out keep their current value (on create: none, and active). */
export const putDentistBody = z.strictObject({
  name: text(200),
  practice_name: text(200).nullable().optional(),
  city: text(100).nullable().optional(),
  active: z.boolean({ error: 'must be true or false' }).optional(),
});
export type PutDentistBody = z.output<typeof putDentistBody>;

/** What the app sees of a dentist: in the directory, on the profile and on a request. */
export const dentistSummary = z.object({
  id: z.number().int(),
  name: z.string(),
  practice_name: z.string().nullable(),
  city: z.string().nullable(),
});

export const dentistResponse = dentistSummary.extend({
  active: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const dentistSearchQuery = z.object({
  ...paginationQuery,
  /** Matches name, practice or city, case-insensitively, anywhere in the text. */
  q: z.string().trim().max(100, { error: 'must be at most 100 characters' }).optional(),
});
export type DentistSearchQuery = z.output<typeof dentistSearchQuery>;

export const dentistsPage = pageSchema(dentistSummary);

export const changeRequestBody = z.strictObject({ dentist_id: dentistId });
export type ChangeRequestBody = z.output<typeof changeRequestBody>;

export const changeRequestIdParam = { id: z.uuid({ error: 'must be a request id (UUID)' }) };

export const changeRequestsQuery = z.object({
  ...paginationQuery,
  status: z.enum(CHANGE_REQUEST_STATUSES).optional(),
});
export type ChangeRequestsQuery = z.output<typeof changeRequestsQuery>;

export const changeRequestResponse = z.object({
  id: z.uuid(),
  dentist_id: z.number().int(),
  dentist: dentistSummary,
  status: z.enum(CHANGE_REQUEST_STATUSES),
  /** Jarvis's ticket, once submitted (null when Jarvis's answer carried none). */
  jarvis_ticket_id: z.string().nullable(),
  /** Why the request ended as it did, when its status does not say it all. */
  note: z.string().nullable(),
  failure_reason: z.enum(['not_configured', 'back_office_error']).nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const changeRequestsPage = pageSchema(changeRequestResponse);

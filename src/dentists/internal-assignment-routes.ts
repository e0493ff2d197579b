import type { Knex } from 'knex';
import { z } from 'zod';
import { completeMatchingRequest } from './change-request-model.js';
import { AppError, notFound } from '../shared/errors.js';
import { defineRoute } from '../api/route.js';
import { currentDentist, type DentistSummary } from './present.js';
import { dentistId, dentistSummary } from './schema.js';
import { byEmailParams, findUserByEmail } from '../users/by-email.js';

const assignmentResponse = z.object({
  dentist: dentistSummary,
  /** The user's open request for this dentist that the assignment completed, if any. */
  completed_request_id: z.uuid().nullable(),
});

/**
 * Makes `dentistId` the user's dentist (docs/internal-api.md#dentist-assignment) and completes their open request for
 * that dentist, in one transaction: the app never sees the new dentist with the
 * request still open. Assigning the same dentist again changes nothing.
 */
export async function assignDentist(
  knex: Knex,
  userId: string,
  dentist: number,
): Promise<{ dentist: DentistSummary; completed_request_id: string | null }> {
  return knex.transaction(async (trx) => {
    // Locked: concurrent assignments of one user apply one after the other, each completing its own request.
    const user = await trx('users').where({ id: userId }).whereNull('deleted_at').forUpdate().first('id');
    if (!user) throw notFound('No user has this email');
    const row = (await trx('dentists').where({ id: dentist }).forShare().first('active')) as
      { active: boolean } | undefined;
    if (!row?.active)
      throw new AppError(422, 'dentist_not_available', 'This dentist is unknown or inactive', {
        errors: [{ path: 'body.dentist_id', message: 'is not an active dentist' }],
      });
    await trx('users')
      .where({ id: userId })
      .whereRaw('dentist_id is distinct from ?', [dentist])
      .update({ dentist_id: dentist, updated_at: trx.fn.now() });
    const completed = await completeMatchingRequest(trx, userId, dentist);
    return { dentist: (await currentDentist(trx, userId))!, completed_request_id: completed ?? null };
  });
}

export const internalDentistAssignmentRoutes = [
  defineRoute({
    method: 'put',
    path: '/internal/users/by-email/:email/dentist',
    summary: "Assign the user's dentist (Jarvis); completes the user's open change request for that dentist",
    tag: 'internal',
    auth: 'api_key',
    params: byEmailParams,
    body: z.strictObject({ dentist_id: dentistId }),
    responses: {
      200: { description: 'Assigned', schema: assignmentResponse },
      401: { description: 'Missing or wrong x-api-key' },
      404: { description: 'No user has this email' },
      422: { description: 'Invalid email or body; dentist_not_available: unknown or inactive dentist' },
    },
    handler: async (ctx, { params, body }, deps) => {
      const user = await findUserByEmail(deps.knex, params.email);
      ctx.body = await assignDentist(deps.knex, user.id, body.dentist_id);
    },
  }),
];

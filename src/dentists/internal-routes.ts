import { defineRoute } from '../api/route.js';
import { deactivateDentist, upsertDentist } from './directory.js';
import { dentistIdParams, dentistResponse, putDentistBody } from './schema.js';

/** The dentist directory, kept in step by Jarvis (docs/internal-api.md#dentists). */
export const internalDentistRoutes = [
  defineRoute({
    method: 'put',
    path: '/internal/dentists/:dentist_id',
    summary:
      "Create or update a dentist (Jarvis's id). Fields left out keep their current value; a new dentist is active",
    tag: 'internal',
    auth: 'api_key',
    params: dentistIdParams,
    body: putDentistBody,
    responses: {
      200: { description: 'Updated', schema: dentistResponse },
      201: { description: 'Created', schema: dentistResponse },
      401: { description: 'Missing or wrong x-api-key' },
      422: { description: 'Invalid id or body' },
    },
    handler: async (ctx, { params, body }, deps) => {
      const { dentist, created } = await upsertDentist(deps.knex, params.dentist_id, body);
      ctx.status = created ? 201 : 200;
      ctx.body = dentist;
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/internal/dentists/:dentist_id',
    summary:
      'Deactivate a dentist: no longer listed nor requestable; users who have them keep them, open requests go on',
    tag: 'internal',
    auth: 'api_key',
    params: dentistIdParams,
    responses: {
      204: { description: 'Deactivated (or already inactive)' },
      401: { description: 'Missing or wrong x-api-key' },
      404: { description: 'No such dentist' },
      422: { description: 'Invalid id' },
    },
    handler: async (ctx, { params }, deps) => {
      await deactivateDentist(deps.knex, params.dentist_id);
      ctx.status = 204;
    },
  }),
];

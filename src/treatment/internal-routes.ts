import { defineRoute } from '../api/route.js';
import { putTreatment } from './plan.js';
import { putTreatmentBody, treatmentResponse } from './schema.js';
import { byEmailParams, findUserByEmail } from '../users/by-email.js';

/** Jarvis sets a user's plan with the mobile PUT's body and semantics (docs/internal-api.md#treatment). */
export const internalTreatmentRoutes = [
  defineRoute({
    method: 'put',
    path: '/internal/users/by-email/:email/treatment',
    summary:
      "Set the user's treatment plan (Jarvis): the same body and rules as PUT /auth/users/{cognito_sub}/treatment",
    tag: 'internal',
    auth: 'api_key',
    params: byEmailParams,
    body: putTreatmentBody,
    responses: {
      200: { description: 'Updated', schema: treatmentResponse },
      201: { description: 'Created', schema: treatmentResponse },
      401: { description: 'Missing or wrong x-api-key' },
      404: { description: 'No user has this email' },
      422: { description: 'Invalid email or body' },
    },
    handler: async (ctx, { params, body }, deps) => {
      const user = await findUserByEmail(deps.knex, params.email);
      const { treatment, created } = await putTreatment(deps.knex, deps.dispatcher, user.id, body);
      ctx.status = created ? 201 : 200;
      ctx.body = treatment;
    },
  }),
];

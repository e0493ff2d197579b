import { z } from 'zod';
import { activeUsers } from './model.js';
import { notFound } from '../shared/errors.js';
import { defineRoute } from '../api/route.js';
import { userProfileResponse } from './schema.js';
import { currentDentist } from '../dentists/present.js';
import { presentProfile } from './profile.js';

export const internalUserRoutes = [
  defineRoute({
    method: 'get',
    path: '/internal/users',
    summary: 'Find a user by email (Jarvis)',
    tag: 'internal',
    auth: 'api_key',
    query: z.object({ email: z.email({ error: 'must be an email address' }).max(254) }),
    responses: {
      200: { description: 'The user', schema: userProfileResponse },
      401: { description: 'Missing or wrong x-api-key' },
      404: { description: 'No user has this email' },
      422: { description: 'Missing or invalid email' },
    },
    handler: async (ctx, { query }, deps) => {
      const user = await activeUsers(deps.knex).whereRaw('lower(email) = lower(?)', [query.email]).first();
      if (!user) throw notFound('No user has this email');
      ctx.body = { ...presentProfile(user), dentist: await currentDentist(deps.knex, user.id) };
    },
  }),
];

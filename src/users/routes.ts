import { z } from 'zod';
import { defineRoute } from '../api/route.js';
import { requestErasure } from '../accounts/request-erasure.js';
import { currentDentist } from '../dentists/present.js';
import { cognitoSubParams, putProfileBody, userProfileResponse } from './schema.js';
import { presentProfile, readProfile, upsertProfile } from './profile.js';

const problems = {
  401: { description: 'Missing, malformed or expired token' },
  403: { description: 'The path names another user' },
};

export const userRoutes = [
  defineRoute({
    method: 'put',
    path: '/auth/users/:cognito_sub',
    summary: 'Create or update the profile',
    tag: 'profile',
    auth: 'jwt',
    params: cognitoSubParams,
    body: putProfileBody,
    responses: {
      200: { description: 'Updated', schema: userProfileResponse },
      201: { description: 'Created', schema: userProfileResponse },
      ...problems,
      409: { description: 'The email belongs to another account' },
      422: { description: 'Invalid body' },
    },
    handler: async (ctx, { params, body }, deps) => {
      const { user, created } = await upsertProfile(
        deps.knex,
        deps.dispatcher,
        deps.config.HUBSPOT_PROPERTY_MAP,
        params.cognito_sub,
        body,
      );
      ctx.status = created ? 201 : 200;
      ctx.body = { ...presentProfile(user), dentist: await currentDentist(deps.knex, user.id) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/auth/users/:cognito_sub',
    summary: 'The profile',
    tag: 'profile',
    auth: 'jwt',
    params: cognitoSubParams,
    responses: {
      200: { description: 'The profile', schema: userProfileResponse },
      ...problems,
      404: { description: 'No profile yet' },
    },
    handler: async (ctx, { params }, deps) => {
      ctx.body = await readProfile(deps.knex, params.cognito_sub);
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/auth/users/:cognito_sub',
    summary:
      'Erase the account: the profile is gone at once; rows, photos and reminders are erased by the worker',
    tag: 'profile',
    auth: 'jwt',
    params: cognitoSubParams,
    responses: {
      202: {
        description: 'Erasure accepted',
        schema: z.object({ id: z.uuid(), status: z.literal('pending') }),
      },
      ...problems,
      404: { description: 'No profile (or already being erased)' },
    },
    handler: async (ctx, { params }, deps) => {
      const erasure = await requestErasure(deps.knex, deps.dispatcher, params.cognito_sub);
      ctx.status = 202;
      ctx.body = { id: erasure.id, status: 'pending' };
    },
  }),
];

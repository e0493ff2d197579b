import { z } from 'zod';
import { defineRoute } from '../api/route.js';
import { cognitoSubParams } from '../users/schema.js';
import { createChangeRequest, findChangeRequest, listChangeRequests } from './change-requests.js';
import { searchDentists } from './directory.js';
import {
  changeRequestBody,
  changeRequestIdParam,
  changeRequestResponse,
  changeRequestsPage,
  changeRequestsQuery,
  dentistSearchQuery,
  dentistsPage,
} from './schema.js';

const REQUESTS = '/auth/users/:cognito_sub/dentist-change-requests';

const problems = {
  401: { description: 'Missing, malformed or expired token' },
  403: { description: 'The path names another user' },
};

export const dentistRoutes = [
  defineRoute({
    method: 'get',
    path: '/auth/dentists',
    summary:
      'Active dentists by name; `q` matches name, practice or city, case-insensitively, anywhere in the text',
    tag: 'dentists',
    auth: 'jwt',
    query: dentistSearchQuery,
    responses: {
      200: { description: 'A page of dentists', schema: dentistsPage },
      401: problems[401],
      422: { description: 'Invalid q, limit or cursor' },
    },
    handler: async (ctx, { query }, deps) => {
      ctx.body = await searchDentists(deps.knex, query);
    },
  }),
  defineRoute({
    method: 'post',
    path: REQUESTS,
    summary: 'Ask to change dentist: submitted to Jarvis by the worker',
    tag: 'dentists',
    auth: 'jwt',
    idempotent: true,
    params: cognitoSubParams,
    body: changeRequestBody,
    responses: {
      202: {
        description: 'Accepted: Jarvis is told in the background',
        schema: z.object({ id: z.uuid(), status: z.literal('pending') }),
      },
      ...problems,
      404: { description: 'No profile' },
      409: { description: 'change_request_open: a request is already pending or submitted' },
      422: {
        description:
          "Invalid body; dentist_not_available: unknown or inactive dentist; dentist_already_assigned: already the user's dentist",
      },
    },
    requiresProfile: true,
    handler: async (ctx, { body, user }, deps) => {
      ctx.status = 202;
      ctx.body = await createChangeRequest(deps.knex, deps.dispatcher, user.id, body);
    },
  }),
  defineRoute({
    method: 'get',
    path: REQUESTS,
    summary: "The user's dentist change requests and their states, newest first",
    tag: 'dentists',
    auth: 'jwt',
    params: cognitoSubParams,
    query: changeRequestsQuery,
    responses: {
      200: { description: 'A page of requests', schema: changeRequestsPage },
      ...problems,
      404: { description: 'No profile' },
      422: { description: 'Invalid status, limit or cursor' },
    },
    requiresProfile: true,
    handler: async (ctx, { query, user }, deps) => {
      ctx.body = await listChangeRequests(deps.knex, user.id, query);
    },
  }),
  defineRoute({
    method: 'get',
    path: `${REQUESTS}/:id`,
    summary: 'One dentist change request',
    tag: 'dentists',
    auth: 'jwt',
    params: cognitoSubParams.extend(changeRequestIdParam),
    responses: {
      200: { description: 'The request', schema: changeRequestResponse },
      ...problems,
      404: { description: 'No profile, or no such request of this user' },
      422: { description: 'The id is not a UUID' },
    },
    requiresProfile: true,
    handler: async (ctx, { params, user }, deps) => {
      ctx.body = await findChangeRequest(deps.knex, user.id, params.id);
    },
  }),
];

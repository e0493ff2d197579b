import { pageSchema } from '../api/pagination.js';
import { defineRoute } from '../api/route.js';
import { editSession } from './edit-session.js';
import { listSessions } from './list-sessions.js';
import { presentSession } from './present.js';
import { removeSession } from './remove-session.js';
import {
  editSessionBody,
  listSessionsQuery,
  startSessionBody,
  wearOwnerParams,
  wearSessionParams,
  wearSessionResponse,
  wearStatsQuery,
  wearStatsResponse,
} from './schema.js';
import { startSession } from './start-session.js';
import { loadWearStats } from './wear-stats.js';

const SESSIONS = '/auth/users/:cognito_sub/wear-sessions';

const problems = {
  401: { description: 'Missing, malformed or expired token' },
  403: { description: 'The path names another user' },
};

export const wearRoutes = [
  defineRoute({
    method: 'post',
    path: SESSIONS,
    summary:
      'Start an out-of-mouth session (now unless started_at is given); a retry with the same id returns the stored session',
    tag: 'wear',
    auth: 'jwt',
    idempotent: true,
    params: wearOwnerParams,
    body: startSessionBody,
    responses: {
      200: { description: 'A retry: the session stored under this id', schema: wearSessionResponse },
      201: { description: 'Started', schema: wearSessionResponse },
      ...problems,
      404: { description: 'No profile, or the id belongs to no session of this user' },
      409: { description: 'session_already_open: end the open session first' },
      422: {
        description: 'Invalid body; overlapping_session: it starts inside or before another session',
      },
    },
    requiresProfile: true,
    handler: async (ctx, { body, user }, deps) => {
      const { session, created } = await startSession(deps.knex, deps.dispatcher, user.id, body);
      ctx.status = created ? 201 : 200;
      ctx.body = presentSession(session);
    },
  }),
  defineRoute({
    method: 'patch',
    path: `${SESSIONS}/:id`,
    summary: 'End or edit a session',
    tag: 'wear',
    auth: 'jwt',
    params: wearSessionParams,
    body: editSessionBody,
    responses: {
      200: { description: 'The session as stored', schema: wearSessionResponse },
      ...problems,
      404: { description: 'No such session (or no profile)' },
      422: {
        description:
          'Invalid id or body, an end not after the start; overlapping_session: it would overlap another session',
      },
    },
    requiresProfile: true,
    handler: async (ctx, { params, body, user }, deps) => {
      ctx.body = presentSession(await editSession(deps.knex, deps.dispatcher, user.id, params.id, body));
    },
  }),
  defineRoute({
    method: 'get',
    path: SESSIONS,
    summary: 'Sessions overlapping [from, to), newest first',
    tag: 'wear',
    auth: 'jwt',
    params: wearOwnerParams,
    query: listSessionsQuery,
    responses: {
      200: { description: 'A page of sessions', schema: pageSchema(wearSessionResponse) },
      ...problems,
      404: { description: 'No profile' },
      422: { description: 'Invalid query' },
    },
    requiresProfile: true,
    handler: async (ctx, { query, user }, deps) => {
      ctx.body = await listSessions(deps.knex, user.id, query);
    },
  }),
  defineRoute({
    method: 'delete',
    path: `${SESSIONS}/:id`,
    summary: 'Delete a session (its wear reminder, if any, is cancelled)',
    tag: 'wear',
    auth: 'jwt',
    params: wearSessionParams,
    responses: {
      204: { description: 'Deleted' },
      ...problems,
      404: { description: 'No such session (or no profile)' },
      422: { description: 'Invalid id' },
    },
    requiresProfile: true,
    handler: async (ctx, { params, user }, deps) => {
      await removeSession(deps.knex, deps.dispatcher, user.id, params.id);
      ctx.status = 204;
    },
  }),
  defineRoute({
    method: 'get',
    path: '/auth/users/:cognito_sub/wear-stats',
    summary:
      "Wear per local day (the user's zone) from `from` to `to` (at most 366 days), the average and the current streak",
    tag: 'wear',
    auth: 'jwt',
    params: wearOwnerParams,
    query: wearStatsQuery,
    responses: {
      200: { description: 'The statistics', schema: wearStatsResponse },
      ...problems,
      404: { description: 'No profile' },
      422: { description: 'Invalid dates, to before from, or more than 366 days' },
    },
    handler: async (ctx, { params, query }, deps) => {
      ctx.body = await loadWearStats(deps.knex, params.cognito_sub, {
        ...query,
        silentDaysAllowed: deps.config.WEAR_SILENT_DAYS_ALLOWED,
      });
    },
  }),
];

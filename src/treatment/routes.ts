import { defineRoute } from '../api/route.js';
import { cognitoSubParams } from '../users/schema.js';
import { listAlignerChanges, recordAlignerChange } from './aligner-changes.js';
import { recordExtension } from './extensions.js';
import { putTreatment, readTreatment } from './plan.js';
import {
  alignerChangeBody,
  alignerChangeResult,
  alignerChangesPage,
  alignerChangesQuery,
  extensionBody,
  extensionResult,
  treatmentReadResponse,
  putTreatmentBody,
  treatmentResponse,
} from './schema.js';

const TREATMENT = '/auth/users/:cognito_sub/treatment';

const problems = {
  401: { description: 'Missing, malformed or expired token' },
  403: { description: 'The path names another user' },
};

export const treatmentRoutes = [
  defineRoute({
    method: 'get',
    path: TREATMENT,
    summary:
      "The treatment plan and what follows from it today in the user's zone: next change, days left, progress, estimated completion, and how the current aligner has been worn",
    tag: 'treatment',
    auth: 'jwt',
    params: cognitoSubParams,
    responses: {
      200: { description: 'The treatment', schema: treatmentReadResponse },
      ...problems,
      404: { description: 'No profile, or no treatment plan yet' },
    },
    handler: async (ctx, { params }, deps) => {
      ctx.body = await readTreatment(deps.knex, params.cognito_sub, {
        silentDaysAllowed: deps.config.WEAR_SILENT_DAYS_ALLOWED,
      });
    },
  }),
  defineRoute({
    method: 'put',
    path: TREATMENT,
    summary:
      'Set the whole plan. Extensions are kept while current_aligner and current_aligner_started_on stay as they were, and reset to 0 otherwise. The aligner history is not touched. Re-plans the progress reminder',
    tag: 'treatment',
    auth: 'jwt',
    params: cognitoSubParams,
    body: putTreatmentBody,
    responses: {
      200: { description: 'Updated', schema: treatmentResponse },
      201: { description: 'Created', schema: treatmentResponse },
      ...problems,
      404: { description: 'No profile' },
      422: {
        description:
          'Invalid body, current_aligner past total_aligners, or the current aligner before the start',
      },
    },
    requiresProfile: true,
    handler: async (ctx, { body, user }, deps) => {
      const { treatment, created } = await putTreatment(deps.knex, deps.dispatcher, user.id, body);
      ctx.status = created ? 201 : 200;
      ctx.body = treatment;
    },
  }),
  defineRoute({
    method: 'post',
    path: `${TREATMENT}/aligner-changes`,
    summary:
      "Record a switch of aligner (default: the next one, today in the user's zone). Recording the last aligner completes the treatment; a paused plan stays paused",
    tag: 'treatment',
    auth: 'jwt',
    idempotent: true,
    params: cognitoSubParams,
    body: alignerChangeBody,
    responses: {
      201: { description: 'Recorded: the change and the treatment after it', schema: alignerChangeResult },
      ...problems,
      404: { description: 'No profile, or no treatment plan yet' },
      409: {
        description:
          'treatment_not_active: the treatment is completed; aligner_already_changed: the same switch was just recorded (a double tap)',
      },
      422: {
        description:
          'Invalid body, an aligner past the last one, or a date in the future or before the aligner began',
      },
    },
    requiresProfile: true,
    handler: async (ctx, { body, user }, deps) => {
      ctx.status = 201;
      ctx.body = await recordAlignerChange(deps.knex, deps.dispatcher, user.id, body);
    },
  }),
  defineRoute({
    method: 'get',
    path: `${TREATMENT}/aligner-changes`,
    summary: 'The history of aligner switches, the latest first',
    tag: 'treatment',
    auth: 'jwt',
    params: cognitoSubParams,
    query: alignerChangesQuery,
    responses: {
      200: { description: 'A page of aligner changes', schema: alignerChangesPage },
      ...problems,
      404: { description: 'No profile' },
      422: { description: 'Invalid limit or cursor' },
    },
    requiresProfile: true,
    handler: async (ctx, { query, user }, deps) => {
      ctx.body = await listAlignerChanges(deps.knex, user.id, query);
    },
  }),
  defineRoute({
    method: 'post',
    path: `${TREATMENT}/extensions`,
    summary:
      'Wear the current aligner `days` longer (reason optional): pushes next_change_on and the progress reminder back',
    tag: 'treatment',
    auth: 'jwt',
    idempotent: true,
    params: cognitoSubParams,
    body: extensionBody,
    responses: {
      201: { description: 'Recorded: the extension and the treatment after it', schema: extensionResult },
      ...problems,
      404: { description: 'No profile, or no treatment plan yet' },
      409: { description: 'treatment_not_active: only an active treatment can be extended' },
      422: { description: 'Invalid body, or more than 365 days in all for one aligner' },
    },
    requiresProfile: true,
    handler: async (ctx, { body, user }, deps) => {
      ctx.status = 201;
      ctx.body = await recordExtension(deps.knex, deps.dispatcher, user.id, body);
    },
  }),
];

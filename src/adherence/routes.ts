import { defineRoute } from '../api/route.js';
import { byEmailParams, findUserByEmail } from '../users/by-email.js';
import { atRiskPage } from './at-risk.js';
import { figuresOfWindow, loadAdherenceBasis } from './compute.js';
import { adherenceFiguresSchema, atRiskPageSchema, atRiskQuery, userAdherenceQuery } from './schema.js';

const unauthorized = { description: 'Missing or wrong x-api-key' };

/** The back office's view of wear (docs/internal-api.md#adherence). */
export const internalAdherenceRoutes = [
  defineRoute({
    method: 'get',
    path: '/internal/users/by-email/:email/adherence',
    summary:
      "A patient's adherence over the last `days` local days (today included): the figures the app shows (Jarvis)",
    tag: 'internal',
    auth: 'api_key',
    params: byEmailParams,
    query: userAdherenceQuery,
    responses: {
      200: { description: 'The figures', schema: adherenceFiguresSchema },
      401: unauthorized,
      404: { description: 'No user has this email' },
      422: { description: 'Invalid email or days' },
    },
    handler: async (ctx, { params, query }, deps) => {
      const user = await findUserByEmail(deps.knex, params.email);
      const now = new Date();
      const silentDaysAllowed = deps.config.WEAR_SILENT_DAYS_ALLOWED;
      const basis = await loadAdherenceBasis(deps.knex, user, query.days - 1, silentDaysAllowed, now);
      ctx.body = figuresOfWindow(basis, basis.today, query.days);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/internal/adherence/at-risk',
    summary:
      'Active treatments below a share of their wear goal over the last 7, 14 or 30 complete days, or whose app was silent all that time, worst first (Jarvis)',
    tag: 'internal',
    auth: 'api_key',
    query: atRiskQuery,
    responses: {
      200: { description: 'One page of patients, worst first', schema: atRiskPageSchema },
      401: unauthorized,
      422: { description: 'Invalid days, below_percent, dentist_id, limit or cursor' },
    },
    handler: async (ctx, { query }, deps) => {
      ctx.body = await atRiskPage(deps.knex, query);
    },
  }),
];

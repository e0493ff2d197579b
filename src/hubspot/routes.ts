import { defineRoute } from '../api/route.js';
import { acknowledgement, hubspotBatch } from './schema.js';
import { storeEvents } from './store-events.js';

export const hubspotRoutes = [
  defineRoute({
    method: 'post',
    path: '/public/hubspot/webhooks',
    summary: 'HubSpot webhook events: verified, stored, acknowledged; processed by the worker',
    tag: 'hubspot',
    auth: 'hubspot_signature',
    body: hubspotBatch,
    // docs/hubspot.md#acknowledgement: a body that is not an array of events is a 400, like malformed JSON.
    invalidBody: { status: 400, code: 'invalid_webhook_body' },
    responses: {
      200: { description: 'Stored (new and duplicate events)', schema: acknowledgement },
      400: { description: 'Not JSON, not an array of events, or nested more than 64 levels deep' },
      413: { description: 'Body over 1 MB' },
      401: { description: 'Missing, invalid or stale signature' },
      503: { description: 'The database is unavailable; HubSpot retries' },
    },
    handler: async (ctx, { body }, deps) => {
      ctx.body = await storeEvents(deps.knex, deps.dispatcher, body);
    },
  }),
];

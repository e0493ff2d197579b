import type { AppDeps } from '../api/deps.js';
import { defineRoute } from '../api/route.js';
import { acknowledgement, hubspotBatch } from './schema.js';
import { HubSpotEventStore } from './store-events.js';

// One store per app (its group commit spans the app's requests); tests build several apps.
const stores = new WeakMap<AppDeps, HubSpotEventStore>();
function eventStore(deps: AppDeps): HubSpotEventStore {
  let store = stores.get(deps);
  if (!store) stores.set(deps, (store = new HubSpotEventStore(deps.knex, deps.dispatcher)));
  return store;
}

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
      // The signature check read the raw body (docs/auth.md#hubspot-signature); it is what gets stored.
      const rawBody = (ctx.request as { rawBody?: string }).rawBody ?? JSON.stringify(body);
      ctx.body = await eventStore(deps).store({ events: body, rawBody });
    },
  }),
];

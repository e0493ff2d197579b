import { processHubspotEvent } from '../../src/hubspot/process-event-job.js';
import type { TestApp } from './app.js';
import { fakeJob } from './jobs.js';
import { TEST_HUBSPOT_SECRET } from './config.js';
import { signHubSpotRequest } from './hubspot-signer.js';

let nextEventId = 1_000_000 + Math.floor(Math.random() * 1_000_000);

/** A HubSpot webhook event as HubSpot sends it; unique eventId unless given. */
export function hubspotEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  nextEventId += 1;
  return {
    eventId: nextEventId,
    subscriptionId: 4242,
    portalId: 99887766,
    appId: 1234,
    occurredAt: Date.now(),
    subscriptionType: 'contact.propertyChange',
    attemptNumber: 0,
    objectId: 5001,
    propertyName: 'firstname',
    propertyValue: 'Robin',
    changeSource: 'CRM_UI',
    ...overrides,
  };
}

/** POSTs a validly signed batch to the app's webhook endpoint. */
export function deliver(app: TestApp, body: unknown, secret = TEST_HUBSPOT_SECRET): Promise<Response> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const path = '/public/hubspot/webhooks';
  return fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...signHubSpotRequest({ secret, uri: `${app.url}${path}`, body: raw }),
    },
    body: raw,
  });
}

/**
 * A HubSpot contact linked to the user with `email`: its email event delivered and
 * processed (by `context`'s processor, directly). Later events of `objectId` apply to that user.
 */
export async function linkedContact(
  app: TestApp,
  context: import('../../src/shared/jobs/context.js').WorkerContext,
  email: string,
): Promise<number> {
  const objectId = 9_000_000 + Math.floor(Math.random() * 1_000_000);
  await deliver(app, [
    hubspotEvent({ objectId, occurredAt: Date.now() - 5000, propertyName: 'email', propertyValue: email }),
  ]);
  const [link] = (await app.deps
    .knex('hubspot_events')
    .where({ object_id: objectId })
    .select('id')) as Array<{
    id: string;
  }>;
  await processHubspotEvent(fakeJob(link!.id), context);
  return objectId;
}

import type { TestApp } from './app.js';
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

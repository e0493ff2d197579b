import { expect } from '@jest/globals';
import { DateTime } from 'luxon';
import { developmentToken } from '../../../src/dev/development-token.js';
import { TEST_HUBSPOT_SECRET } from '../config.js';
import { hubspotEvent } from '../hubspot.js';
import { signHubSpotRequest } from '../hubspot-signer.js';
import { waitFor } from '../jobs.js';
import type { OneSignalStub } from '../stubs/onesignal-stub.js';

// What the tracing tests do to a running API (at `base`), as the app and HubSpot would.

const ZONE = 'Europe/London';

/** A request as user `sub`, with a development token. */
export async function asUser(
  base: string,
  sub: string,
  method: string,
  path: string,
  json?: unknown,
): Promise<Response> {
  return fetch(`${base}/auth/users/${sub}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${await developmentToken(sub)}`,
      ...(json ? { 'content-type': 'application/json' } : {}),
    },
    ...(json ? { body: JSON.stringify(json) } : {}),
  });
}

/** A user in treatment whose first progress reminder is already at OneSignal. */
export async function patientWithReminder(
  base: string,
  oneSignal: OneSignalStub,
  sub: string,
  email: string,
): Promise<void> {
  expect((await asUser(base, sub, 'PUT', '', { email, timezone: ZONE })).status).toBe(201);
  const today = DateTime.now().setZone(ZONE).startOf('day');
  const before = oneSignal.creates().length;
  const plan = await asUser(base, sub, 'PUT', '/treatment', {
    total_aligners: 20,
    current_aligner: 3,
    change_interval_days: 14,
    started_on: today.minus({ days: 40 }).toISODate(),
    current_aligner_started_on: today.minus({ days: 3 }).toISODate(),
  });
  expect(plan.status).toBe(201);
  await waitFor(
    async () => oneSignal.creates().length,
    (count) => count > before,
  );
}

/** The webhook path, as a trace's root span names it. */
export const HUBSPOT_WEBHOOK_PATH = '/public/hubspot/webhooks';

/**
 * One signed HubSpot delivery that links `email`'s contact and changes its aligner interval:
 * the event job, then the progress reminder it replans, then OneSignal.
 */
export async function deliverIntervalChange(base: string, email: string): Promise<Response> {
  const objectId = 7_000_000 + Math.floor(Math.random() * 1_000_000);
  const body = JSON.stringify([
    hubspotEvent({ objectId, occurredAt: Date.now() - 2000, propertyName: 'email', propertyValue: email }),
    hubspotEvent({
      objectId,
      occurredAt: Date.now() - 1000,
      propertyName: 'aligner_change_interval',
      propertyValue: '10',
    }),
  ]);
  const uri = `${base}${HUBSPOT_WEBHOOK_PATH}`;
  return fetch(uri, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...signHubSpotRequest({ secret: TEST_HUBSPOT_SECRET, uri, body }),
    },
    body,
  });
}

import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import pg from 'pg';
import { developmentToken } from '../../src/dev/development-token.js';
import { LOCAL_S3_CREDENTIALS } from '../../src/dev/local-s3.js';
import { startStack, type Stack } from '../support/processes.js';
import { makePng, postToS3, type Upload } from '../support/image-fixtures.js';
import { signHubSpotRequest } from '../support/hubspot-signer.js';
import { waitFor } from '../support/jobs.js';
import { startTestS3, type TestS3 } from '../support/s3.js';
import { FaultyJarvis, FaultyOneSignal } from '../support/soak/fault-stubs.js';

// Issue 9: docs/operations.md#logs says no JWT, API key, signature, Authorization value, email address,
// name or presigned URL signature ever reaches a log line. Proven on the real processes
// (API and worker, LOG_LEVEL=debug) over every journey, failures included, by reading
// everything both wrote.
const secret = (label: string) => `${label}-${randomBytes(12).toString('hex')}`;
const INTERNAL_KEY = secret('internal-key');
const OTHER_INTERNAL_KEY = secret('rotated-key');
const WRONG_KEY = secret('wrong-key');
const ONESIGNAL_KEY = secret('onesignal-rest-key');
const JARVIS_KEY = secret('jarvis-key');
const HUBSPOT_SECRET = secret('hubspot-secret');
const suffix = randomBytes(3).toString('hex');
const EMAIL = `Quintessa.Lowmoor+${suffix}@example.co.uk`;
const HUBSPOT_EMAIL = `crm.only.${suffix}@example.org`;
const NAMES = { first_name: 'Quintessa', last_name: 'Lowmoor' };
const HUBSPOT_LAST_NAME = 'Vantrobridge';
/** A last name whose update the database refuses (injected), for the error paths. */
const FAULT_LAST_NAME = 'Grimthorpe-Oddvale';
const ZONE = 'Europe/London';
const sub = `secrets-${randomUUID()}`;
const otherSub = `secrets-other-${randomUUID()}`;

const onesignal = new FaultyOneSignal(ONESIGNAL_KEY);
const jarvis = new FaultyJarvis(JARVIS_KEY);
let s3: TestS3;
let stack: Stack;
let token: string;
let otherToken: string;
/** Every value that must not be logged, with what it is (for the failure message). */
const forbidden = new Map<string, string>();
const forbid = (what: string, ...values: string[]) => {
  for (const value of values) if (value.length >= 6) forbidden.set(value, what);
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are read field by field below
type Json = any;

async function call(
  method: string,
  path: string,
  options: { json?: unknown; headers?: Record<string, string>; as?: 'user' | 'internal' | 'none' } = {},
): Promise<{ status: number; body: Json }> {
  const as = options.as ?? (path.startsWith('/internal') ? 'internal' : 'user');
  const response = await fetch(`${stack.base}${path}`, {
    method,
    headers: {
      ...(as === 'user' ? { authorization: `Bearer ${token}` } : {}),
      ...(as === 'internal' ? { 'x-api-key': INTERNAL_KEY } : {}),
      ...(options.json !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    ...(options.json !== undefined
      ? { body: typeof options.json === 'string' ? options.json : JSON.stringify(options.json) }
      : {}),
  });
  const text = await response.text();
  let body: Json = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON (e.g. a 404 from S3): kept as text
  }
  return { status: response.status, body };
}

const user = `/auth/users/${sub}`;
const today = () => DateTime.now().setZone(ZONE).startOf('day');

/** The presigned pieces of an upload or download: signature, credential, policy. */
function forbidPresigned(upload: Upload | undefined, downloadUrl: string | undefined): void {
  if (upload) {
    for (const [name, value] of Object.entries(upload.fields))
      if (/signature|credential|policy|security-token/i.test(name)) forbid(`upload field ${name}`, value);
  }
  if (downloadUrl) {
    const url = new URL(downloadUrl);
    for (const name of ['X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token']) {
      const value = url.searchParams.get(name);
      if (value) forbid(`download ${name}`, value, encodeURIComponent(value));
    }
  }
}

beforeAll(async () => {
  await Promise.all([onesignal.start(), jarvis.start()]);
  s3 = await startTestS3();
  stack = await startStack({
    LOG_LEVEL: 'debug',
    LOG_REDACT_SENSITIVE: 'true',
    INTERNAL_API_KEYS: `${INTERNAL_KEY},${OTHER_INTERNAL_KEY}`,
    HUBSPOT_CLIENT_SECRET: HUBSPOT_SECRET,
    ONESIGNAL_APP_ID: 'secrets-app',
    ONESIGNAL_REST_API_KEY: ONESIGNAL_KEY,
    ONESIGNAL_API_URL: onesignal.url,
    JARVIS_API_URL: jarvis.url,
    JARVIS_API_KEY: JARVIS_KEY,
    ...s3.env,
    AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  token = await developmentToken(sub);
  otherToken = await developmentToken(otherSub);
  forbid('internal API key', INTERNAL_KEY, OTHER_INTERNAL_KEY);
  forbid('wrong internal API key', WRONG_KEY);
  forbid('OneSignal REST key', ONESIGNAL_KEY);
  forbid('Jarvis API key', JARVIS_KEY);
  forbid('HubSpot client secret', HUBSPOT_SECRET);
  for (const jwt of [token, otherToken])
    forbid('JWT', jwt, ...jwt.split('.').filter((part) => part.length > 20));
  for (const email of [EMAIL, HUBSPOT_EMAIL])
    forbid('email address', email, email.toLowerCase(), encodeURIComponent(email), email.split('@')[0]!);
  forbid('name', NAMES.first_name, NAMES.last_name, HUBSPOT_LAST_NAME, FAULT_LAST_NAME);
}, 120000);

afterAll(async () => {
  await stack?.stop();
  await Promise.all([onesignal.stop(), jarvis.stop(), s3?.close()]);
});

describe('no secret or personal data in the logs of the API and worker processes (docs/operations.md#logs)', () => {
  it('a full journey, failures included, logs requests and jobs but no secret, token, email, name or signature', async () => {
    // Profile, treatment, aligner change: a progress reminder scheduled, then moved.
    expect(
      (
        await call('PUT', user, {
          json: { email: EMAIL, ...NAMES, timezone: ZONE, locale: 'en-GB' },
          headers: { 'idempotency-key': randomUUID() },
        })
      ).status,
    ).toBe(201);
    expect((await call('GET', user)).status).toBe(200);
    const plan = {
      total_aligners: 20,
      current_aligner: 3,
      change_interval_days: 14,
      started_on: today().minus({ days: 40 }).toISODate(),
      current_aligner_started_on: today().minus({ days: 10 }).toISODate(),
    };
    expect((await call('PUT', `${user}/treatment`, { json: plan })).status).toBe(201);
    await waitFor(
      async () => onesignal.live.size,
      (n) => n === 1,
    );
    // OneSignal fails once (a 500 whose body echoes the email and our key): retried with backoff.
    onesignal.answerNext({
      status: 500,
      body: { errors: [`internal error for ${EMAIL}`], headers: { authorization: `Key ${ONESIGNAL_KEY}` } },
    });
    expect(
      (
        await call('POST', `${user}/treatment/aligner-changes`, {
          json: {},
          headers: { 'idempotency-key': randomUUID() },
        })
      ).status,
    ).toBe(201);
    expect((await call('PUT', `${user}/settings`, { json: { reminder_time: '08:15' } })).status).toBe(200);
    await waitFor(
      async () => (await call('GET', `${user}/notifications?type=progress`)).body.items,
      (items: Array<{ status: string }>) =>
        items.length === 3 &&
        items.filter((item) => item.status === 'cancelled').length === 2 &&
        items.some((item) => item.status === 'scheduled'),
      20000,
    );

    // Wear session: a wear reminder scheduled, then cancelled when the session ends.
    const session = await call('POST', `${user}/wear-sessions`, { json: { reason: 'meal' } });
    expect(session.status).toBe(201);
    await waitFor(
      async () => (await call('GET', `${user}/notifications?type=wear`)).body.items[0]?.status,
      (status) => status === 'scheduled',
    );
    expect(
      (
        await call('PATCH', `${user}/wear-sessions/${session.body.id}`, {
          json: { ended_at: new Date().toISOString() },
        })
      ).status,
    ).toBe(200);
    await waitFor(
      async () => (await call('GET', `${user}/notifications?type=wear`)).body.items[0]?.status,
      (status) => status === 'cancelled',
    );
    expect(
      (
        await call(
          'GET',
          `${user}/wear-stats?from=${today().minus({ days: 6 }).toISODate()}&to=${today().toISODate()}`,
        )
      ).status,
    ).toBe(200);

    // Photos: presigned POST to S3, complete, processed by the worker, presigned GETs of the
    // display version and thumbnail; one deleted by the worker.
    const png = makePng(4, 4);
    const imageIds: string[] = [];
    for (const view of ['front', 'smile']) {
      const created = await call('POST', `${user}/images`, {
        json: { view, content_type: 'image/png' },
        headers: { 'idempotency-key': randomUUID() },
      });
      expect(created.status).toBe(201);
      forbidPresigned(created.body.upload, undefined);
      expect((await postToS3(created.body.upload, png, { fileType: 'image/png' })).status).toBeLessThan(300);
      const completed = await call('POST', `${user}/images/${created.body.id}/complete`, { json: {} });
      expect(completed.status).toBe(200);
      forbidPresigned(undefined, completed.body.url);
      imageIds.push(created.body.id);
    }
    const listed = await waitFor(
      () => call('GET', `${user}/images`),
      (answer) => (answer.body.items as Array<{ status: string }>).every((item) => item.status === 'ready'),
      30_000,
      'both photos processed',
    );
    for (const item of listed.body.items as Array<{ url: string; thumbnail_url: string }>) {
      forbidPresigned(undefined, item.url);
      forbidPresigned(undefined, item.thumbnail_url);
    }
    const fetched = await call('GET', `${user}/images/${imageIds[0]}`);
    forbidPresigned(undefined, fetched.body.url);
    expect((await fetch(fetched.body.url)).status).toBe(200);
    expect((await fetch(fetched.body.thumbnail_url)).status).toBe(200);
    expect((await call('DELETE', `${user}/images/${imageIds[1]}`)).status).toBe(204);
    // Left: the kept photo's display version and thumbnail; both originals and the
    // deleted photo's versions are gone.
    const left = await waitFor(
      async () => (await s3.list(`users/${sub}/`)).map((key) => key.split('/').at(-1)).sort(),
      (names) => names.length === 2,
    );
    expect(left).toEqual([`${imageIds[0]}.display.jpg`, `${imageIds[0]}.thumb.jpg`]);

    // Internal API (Jarvis's side), with the key; the user addressed by email.
    for (const id of [4201, 4202]) {
      expect(
        (await call('PUT', `/internal/dentists/${id}`, { json: { name: `Dr ${id}`, city: 'Leeds' } })).status,
      ).toBe(201);
    }
    expect((await call('GET', `/internal/users?email=${encodeURIComponent(EMAIL)}`)).status).toBe(200);
    // Unencoded, the '+' reads as a space: an invalid address (422), logged all the same.
    expect((await call('GET', `/internal/users?email=${EMAIL}`)).status).toBe(422);
    expect(
      (
        await call('PUT', `/internal/users/by-email/${encodeURIComponent(EMAIL)}/treatment`, {
          json: { ...plan, current_aligner: 4, current_aligner_started_on: today().toISODate() },
        })
      ).status,
    ).toBe(200);

    // Dentist change through Jarvis: a 500 first (echoing the email and the key), then accepted.
    jarvis.answerNext({
      status: 500,
      body: { detail: `Server error for /customer/change-dentist/${EMAIL}/ (Api-Key ${JARVIS_KEY})` },
    });
    const requested = await call('POST', `${user}/dentist-change-requests`, { json: { dentist_id: 4201 } });
    expect(requested.status).toBe(202);
    const submitted = await waitFor(
      async () => (await call('GET', `${user}/dentist-change-requests/${requested.body.id}`)).body,
      (body) => body.status !== 'pending',
      20000,
    );
    expect(submitted.status).toBe('submitted');
    expect(jarvis.tickets).toHaveLength(1);
    expect(
      (
        await call('PUT', `/internal/users/by-email/${encodeURIComponent(EMAIL.toUpperCase())}/dentist`, {
          json: { dentist_id: 4201 },
        })
      ).status,
    ).toBe(200);

    // A signed HubSpot webhook: the contact's email and last name, applied by the worker.
    const contactId = 700_000 + Math.floor(Math.random() * 100_000);
    const occurredAt = Date.now();
    const event = (eventId: number, propertyName: string, propertyValue: string) => ({
      eventId,
      subscriptionId: 11,
      portalId: 22,
      appId: 33,
      occurredAt,
      subscriptionType: 'contact.propertyChange',
      attemptNumber: 0,
      objectId: contactId,
      propertyName,
      propertyValue,
      changeSource: 'CRM_UI',
    });
    const webhookBody = JSON.stringify([
      event(1, 'email', EMAIL),
      event(2, 'lastname', HUBSPOT_LAST_NAME),
      // Another contact, not (yet) a user: its email is kept, and must not be logged either.
      { ...event(3, 'email', HUBSPOT_EMAIL), objectId: contactId + 1 },
    ]);
    const webhookUri = `${stack.base}/public/hubspot/webhooks`;
    const signed = signHubSpotRequest({ secret: HUBSPOT_SECRET, uri: webhookUri, body: webhookBody });
    forbid('HubSpot signature', signed['x-hubspot-signature-v3']);
    const acknowledged = await call('POST', '/public/hubspot/webhooks', {
      as: 'none',
      json: webhookBody,
      headers: signed,
    });
    expect(acknowledged).toEqual({ status: 200, body: { received: 3, duplicates: 0 } });
    await waitFor(
      async () => (await call('GET', user)).body.last_name,
      (lastName) => lastName === HUBSPOT_LAST_NAME,
    );
    expect((await call('GET', '/internal/hubspot/events?status=processed')).status).toBe(200);

    // A database error on a statement that carries personal data (as a statement timeout,
    // a deadlock or a dropped connection would give), in the API and in a worker job:
    // logged with its error, never with the statement's values.
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      await db.query(`
        create function inject_timeout() returns trigger language plpgsql as $$
        begin
          if new.last_name = '${FAULT_LAST_NAME}' then
            raise exception 'canceling statement due to statement timeout' using errcode = '57014';
          end if;
          return new;
        end $$`);
      await db.query(
        'create trigger inject_timeout before update on users for each row execute function inject_timeout()',
      );
      const timedOut = await call('PUT', user, {
        json: { email: EMAIL, ...NAMES, last_name: FAULT_LAST_NAME, timezone: ZONE },
      });
      expect(timedOut.status).toBe(503);
      // Newer than the last name applied above, so the worker applies it.
      const faultBody = JSON.stringify([
        { ...event(4, 'lastname', FAULT_LAST_NAME), occurredAt: Date.now() },
      ]);
      const faultAck = await call('POST', '/public/hubspot/webhooks', {
        as: 'none',
        json: faultBody,
        headers: signHubSpotRequest({ secret: HUBSPOT_SECRET, uri: webhookUri, body: faultBody }),
      });
      expect(faultAck.status).toBe(200);
      await waitFor(
        async () => stack.worker.output(),
        (output) => /process-hubspot-event.*job attempt failed/.test(output),
      );
    } finally {
      await db.query('drop trigger if exists inject_timeout on users');
      await db.end();
    }

    // Failing calls: wrong key, bad tokens, another user's path, bad signatures.
    expect(
      (await call('GET', `/internal/users?email=${EMAIL}`, { headers: { 'x-api-key': WRONG_KEY } })).status,
    ).toBe(401);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const tampered = `${header}.${payload}x.${signature}`;
    const expired = await developmentToken(sub, { expiresInSeconds: -60 });
    forbid('JWT', tampered, expired, ...expired.split('.').filter((part) => part.length > 20));
    for (const bad of [tampered, expired, 'not-a-jwt-at-all', `${header}.${payload}`]) {
      const response = await call('GET', user, { headers: { authorization: `Bearer ${bad}` } });
      expect(response.status).toBe(401);
    }
    expect((await call('GET', `${user}?token=${token}&access_token=${token}`)).status).toBe(200);
    expect(
      (await call('GET', `/auth/users/${otherSub}`, { headers: { authorization: `Bearer ${token}` } }))
        .status,
    ).toBe(403);
    const badSignature = signHubSpotRequest({ secret: WRONG_KEY, uri: webhookUri, body: webhookBody });
    forbid('HubSpot signature (wrong secret)', badSignature['x-hubspot-signature-v3']);
    expect(
      (
        await call('POST', '/public/hubspot/webhooks', {
          as: 'none',
          json: webhookBody,
          headers: badSignature,
        })
      ).status,
    ).toBe(401);
    const stale = signHubSpotRequest({
      secret: HUBSPOT_SECRET,
      uri: webhookUri,
      body: webhookBody,
      timestamp: Date.now() - 3600_000,
    });
    forbid('HubSpot signature (stale)', stale['x-hubspot-signature-v3']);
    expect(
      (await call('POST', '/public/hubspot/webhooks', { as: 'none', json: webhookBody, headers: stale }))
        .status,
    ).toBe(401);
    // A profile PUT that conflicts (the email is taken) and one that is invalid.
    expect(
      (
        await call('PUT', `/auth/users/${otherSub}`, {
          json: { email: EMAIL, timezone: ZONE },
          headers: { authorization: `Bearer ${otherToken}` },
        })
      ).status,
    ).toBe(409);
    expect(
      (await call('PUT', user, { json: { email: `${EMAIL}@@`, timezone: 'Mars/Olympus' } })).status,
    ).toBe(422);

    // Export, then erasure: reminders cancelled at OneSignal, objects deleted by the worker.
    expect((await call('GET', `${user}/export`)).status).toBe(200);
    const session2 = await call('POST', `${user}/wear-sessions`, { json: { reason: 'drink' } });
    expect(session2.status).toBe(201);
    await waitFor(
      async () => (await call('GET', `${user}/notifications?type=wear`)).body.items[0]?.status,
      (status) => status === 'scheduled',
    );
    expect((await call('DELETE', user)).status).toBe(202);
    await stack.worker.waitForLog('account erased', 30000);
    expect(await s3.list(`users/${sub}/`)).toEqual([]);
    await waitFor(
      async () => onesignal.live.size,
      (n) => n === 0,
    );
    expect(onesignal.counts.unauthorized).toBe(0);
    expect(jarvis.counts.unauthorized).toBe(0);

    const apiLines = stack.api.output().split('\n').filter(Boolean);
    const workerLines = stack.worker.output().split('\n').filter(Boolean);
    // The journey was logged: a line per request, the worker's jobs, both failures.
    const requestLines = apiLines.filter((line) => /"msg":"request"/.test(line));
    expect(requestLines.length).toBeGreaterThanOrEqual(40);
    expect(apiLines.some((line) => line.includes('"status":401'))).toBe(true);
    expect(apiLines.some((line) => line.includes('HubSpot request rejected'))).toBe(true);
    for (const message of [
      'reminder scheduled at OneSignal',
      'dentist change submitted to Jarvis',
      'job attempt failed',
      'image object deleted',
      'account erased',
      'job completed',
    ])
      expect(workerLines.some((line) => line.includes(message))).toBe(true);
    // The upstream errors that echoed our keys were logged, masked.
    expect(workerLines.some((line) => line.includes('Key [redacted]') && line.includes('HTTP 500'))).toBe(
      true,
    );
    expect(workerLines.some((line) => line.includes('Api-Key [redacted]'))).toBe(true);
    // Every line is pino JSON (nothing printed around the logger, e.g. a library's warning).
    const notJson = [...apiLines, ...workerLines].filter((line) => {
      try {
        JSON.parse(line);
        return false;
      } catch {
        return true;
      }
    });
    expect(notJson.join('\n')).toEqual('');

    const everything = [...apiLines, ...workerLines].join('\n');
    const leaks = [...forbidden]
      .filter(([value]) => everything.toLowerCase().includes(value.toLowerCase()))
      .map(([value, what]) => `${what}: ${value}`);
    expect(leaks).toEqual([]);
    expect(everything.match(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*)?/g) ?? []).toEqual([]);
    expect(everything.match(/[A-Za-z0-9._%+-]+(@|%40)[A-Za-z0-9.-]+\.[A-Za-z]{2,}/gi) ?? []).toEqual([]);
    expect(everything.match(/X-Amz-(Signature|Credential|Security-Token)=[^&"\s[]+/gi) ?? []).toEqual([]);
    expect(everything).not.toMatch(/Bearer [A-Za-z0-9]/);
    expect(everything).not.toMatch(/(Api-)?Key [a-z]+-key-/i);
  }, 120000);
});

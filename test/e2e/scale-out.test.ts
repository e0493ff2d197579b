import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { hubspotEvent } from '../support/hubspot.js';
import { signHubSpotRequest } from '../support/hubspot-signer.js';
import { REDIS_URL } from '../support/redis.js';
import { JarvisStub } from '../support/stubs/jarvis-stub.js';
import { OneSignalStub } from '../support/stubs/onesignal-stub.js';
import { startStack, type Stack } from '../support/processes.js';
import { callApi, countBy, createUser, query, stalledJobIds, type E2eUser } from '../support/traffic.js';
import { waitFor } from '../support/jobs.js';
import { awaitingHandOver } from '../support/sweeper.js';
import { QUEUES } from '../../src/queues.js';

// Two API processes and two worker processes on one database and one queue prefix,
// all started at the same moment on an empty database (docs/dispatch.md, docs/operations.md#migrations): migrations apply
// once, and every job's external effect happens once however the work is spread.
const onesignal = new OneSignalStub();
const jarvis = new JarvisStub();
const INTERNAL_KEY = 'e2e-scale-internal-key';
const HUBSPOT_SECRET = 'e2e-scale-hubspot-secret';
const DENTIST_ID = 77;
const USERS = 12;
let stack: Stack;

beforeAll(async () => {
  await Promise.all([onesignal.start(), jarvis.start()]);
  stack = await startStack(
    {
      INTERNAL_API_KEYS: INTERNAL_KEY,
      HUBSPOT_CLIENT_SECRET: HUBSPOT_SECRET,
      ONESIGNAL_APP_ID: 'e2e-app',
      ONESIGNAL_REST_API_KEY: 'e2e-rest-key',
      ONESIGNAL_API_URL: onesignal.url,
      JARVIS_API_URL: jarvis.url,
      JARVIS_API_KEY: 'e2e-jarvis-key',
    },
    { apis: 2, workers: 2, emptyDatabase: true },
  );
}, 120000);

afterAll(async () => {
  await stack?.stop();
  await Promise.all([onesignal.stop(), jarvis.stop()]);
});

interface ReminderRow {
  id: string;
  type: string;
  status: string;
  onesignal_id: string | null;
  send_after: Date;
}

async function deliverHubSpot(base: string, events: unknown[]): Promise<{ status: number; body: unknown }> {
  const raw = JSON.stringify(events);
  const url = `${base}/public/hubspot/webhooks`;
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...signHubSpotRequest({ secret: HUBSPOT_SECRET, uri: url, body: raw }),
    },
    body: raw,
  });
  return { status: response.status, body: await response.json() };
}

describe('scale-out: two APIs and two workers on one database and queue prefix', () => {
  it('migrations started by both APIs at once apply once', async () => {
    const files = readdirSync(path.resolve(import.meta.dirname ?? '.', '../../migrations')).filter((name) =>
      name.endsWith('.js'),
    );
    const applied = await query<{ name: string }>(stack.databaseUrl, 'select name from knex_migrations');
    expect(applied.map((row) => row.name).sort()).toEqual(files.sort());
    const locks = await query<{ is_locked: number }>(
      stack.databaseUrl,
      'select is_locked from knex_migrations_lock',
    );
    expect(locks).toEqual([{ is_locked: 0 }]);
    // One API applied them; the other waited on the advisory lock and found none left.
    const appliers = stack.apis.filter((api) => api.output().includes('migrations applied'));
    expect(appliers).toHaveLength(1);
  });

  it('traffic through both APIs: every external effect once, every row in its final state', async () => {
    const [a, b] = stack.bases as [string, string];
    const via = (i: number) => (i % 2 === 0 ? a : b);
    const other = (i: number) => (i % 2 === 0 ? b : a);
    expect(
      (
        await callApi(a, 'PUT', `/internal/dentists/${DENTIST_ID}`, {
          apiKey: INTERNAL_KEY,
          json: { name: 'Dr Scale', practice_name: 'Harbour Dental', city: 'Plymouth' },
        })
      ).status,
    ).toBe(201);

    // Each user's journey alternates between the APIs; users run concurrently.
    const users = await Promise.all(
      Array.from({ length: USERS }, async (_, i): Promise<E2eUser & { requestId: string }> => {
        const user = await createUser(via(i), `scale-user-${i}`);
        const changed = await callApi(other(i), 'POST', `${user.path}/treatment/aligner-changes`, {
          token: user.token,
          json: {},
        });
        expect(changed.status).toBe(201);
        const session = await callApi(via(i), 'POST', `${user.path}/wear-sessions`, {
          token: user.token,
          json: { reason: 'meal' },
        });
        expect(session.status).toBe(201);
        // Every other user ends the session (its reminder is cancelled) through the other API.
        const ended =
          i % 2 === 0
            ? await callApi(other(i), 'PATCH', `${user.path}/wear-sessions/${session.body.id}`, {
                token: user.token,
                json: { ended_at: new Date().toISOString() },
              })
            : { status: 200 };
        expect(ended.status).toBe(200);
        // The same request with the same Idempotency-Key to both APIs at once (a retry
        // that went to the other instance): one request, one call to Jarvis.
        const key = `scale-key-${i}`;
        const answers = await Promise.all(
          [a, b].map((base) =>
            callApi(base, 'POST', `${user.path}/dentist-change-requests`, {
              token: user.token,
              json: { dentist_id: DENTIST_ID },
              headers: { 'idempotency-key': key },
            }),
          ),
        );
        const accepted = answers.filter((answer) => answer.status === 202);
        expect(accepted.length).toBeGreaterThanOrEqual(1);
        expect(new Set(accepted.map((answer) => answer.body.id)).size).toBe(1);
        for (const answer of answers.filter((x) => x.status !== 202))
          expect(answer).toMatchObject({ status: 409, body: { code: 'idempotency_key_in_use' } });
        return { ...user, requestId: accepted[0]!.body.id as string };
      }),
    );

    // HubSpot delivers each batch twice, to both APIs at once: each event is stored once.
    const events = users.flatMap((user, i) => [
      hubspotEvent({ objectId: 9100 + i, propertyName: 'email', propertyValue: user.email }),
      hubspotEvent({ objectId: 9100 + i, propertyName: 'firstname', propertyValue: `Scale${i}` }),
    ]);
    const acks = await Promise.all([deliverHubSpot(a, events), deliverHubSpot(b, events)]);
    for (const ack of acks) expect(ack.status).toBe(200);
    const duplicates = acks.reduce((sum, ack) => sum + (ack.body as { duplicates: number }).duplicates, 0);
    expect(duplicates).toBe(events.length);

    // Everything settles.
    const settled = await waitFor(
      async () => ({
        reminders: await query<ReminderRow>(stack.databaseUrl, 'select * from reminders'),
        requests: await query<{ id: string; status: string; jarvis_ticket_id: string | null }>(
          stack.databaseUrl,
          'select * from dentist_change_requests',
        ),
        hubspot: await query<{ status: string }>(stack.databaseUrl, 'select status from hubspot_events'),
      }),
      ({ reminders, requests, hubspot }) =>
        reminders.every(
          (row) => !['pending', 'cancel_requested'].includes(row.status) || awaitingHandOver(row),
        ) &&
        requests.every((row) => row.status !== 'pending') &&
        hubspot.every((row) => row.status !== 'received'),
      60000,
      'every row in a final state',
    );

    // Reminders: per user, one live progress reminder (the old one withdrawn), a wear
    // reminder scheduled for an open session and cancelled for an ended one.
    const { reminders } = settled;
    // Each user's weekly summary waits for its Sunday (docs/reminders.md#weekly-summary);
    // in the quarter hour before it, it is handed over like any other.
    const weekly = reminders.filter((row) => row.type === 'weekly_summary');
    expect(weekly).toHaveLength(USERS);
    expect(weekly.filter((row) => !awaitingHandOver(row) && row.status !== 'scheduled')).toEqual([]);
    const treatmentReminders = reminders.filter((row) => row.type !== 'weekly_summary');
    expect(treatmentReminders).toHaveLength(USERS * 3);
    expect(countBy(treatmentReminders, (row) => `${row.type}:${row.status}`)).toEqual(
      new Map([
        ['progress:cancelled', USERS],
        ['progress:scheduled', USERS],
        ['wear:scheduled', USERS / 2],
        ['wear:cancelled', USERS / 2],
      ]),
    );
    // At OneSignal: at most one create per reminder (its idempotency key), and only for
    // reminders that have an id; one delete per cancelled notification, none for live ones.
    const creates = countBy(onesignal.creates(), (call) =>
      String((call.body as { idempotency_key: string }).idempotency_key),
    );
    const deletes = countBy(onesignal.cancels(), (call) => call.path.replace('/notifications/', ''));
    expect([...creates.values()].every((n) => n === 1)).toBe(true);
    expect([...deletes.values()].every((n) => n === 1)).toBe(true);
    const atOneSignal = (row: ReminderRow) => ({
      id: row.id,
      creates: creates.get(row.id) ?? 0,
      deletes: row.onesignal_id ? (deletes.get(row.onesignal_id) ?? 0) : 0,
    });
    const expected = (row: ReminderRow) => ({
      id: row.id,
      // Scheduled: created once, never deleted. Cancelled after it reached OneSignal:
      // created once, deleted once. Cancelled before: never sent to OneSignal.
      creates: row.status === 'scheduled' || row.onesignal_id ? 1 : 0,
      deletes: row.status === 'cancelled' && row.onesignal_id ? 1 : 0,
    });
    expect(reminders.map(atOneSignal)).toEqual(reminders.map(expected));
    expect(reminders.filter((row) => row.status === 'scheduled' && !row.onesignal_id)).toEqual([]);
    const ids = reminders.filter((row) => row.onesignal_id).map((row) => row.onesignal_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(creates.size).toBe(ids.length);

    // Jarvis: one request per user, one call each, each submitted with its own ticket.
    expect(settled.requests).toHaveLength(USERS);
    expect(settled.requests.map((row) => row.id).sort()).toEqual(users.map((user) => user.requestId).sort());
    for (const row of settled.requests) expect(row.status).toBe('submitted');
    expect(new Set(settled.requests.map((row) => row.jarvis_ticket_id)).size).toBe(USERS);
    const calls = countBy(jarvis.calls, (call) => call.rawPath);
    expect(calls.size).toBe(USERS);
    expect([...calls.values()].every((n) => n === 1)).toBe(true);

    // HubSpot: each event stored and processed once; the users have their new names.
    expect(settled.hubspot).toHaveLength(events.length);
    for (const row of settled.hubspot) expect(row.status).toBe('processed');
    const names = await query<{ cognito_sub: string; first_name: string | null }>(
      stack.databaseUrl,
      "select cognito_sub, first_name from users where cognito_sub like 'scale-user-%'",
    );
    for (const { cognito_sub, first_name } of names)
      expect(first_name).toBe(`Scale${cognito_sub.replace('scale-user-', '')}`);

    // No job stalled or failed, and both workers took a share.
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      for (const { name: queue } of QUEUES) {
        expect(await stalledJobIds(stack.queuePrefix, queue)).toEqual([]);
        expect(await redis.zcard(`${stack.queuePrefix}:${queue}:failed`)).toBe(0);
      }
    } finally {
      redis.disconnect();
    }
    const scheduledBy = stack.workers.map(
      (worker) =>
        worker
          .output()
          .split('\n')
          .filter((line) => line.includes('reminder scheduled at OneSignal')).length,
    );
    expect(scheduledBy.reduce((sum, n) => sum + n, 0)).toBe(creates.size);
    expect(scheduledBy.every((n) => n > 0)).toBe(true);
  }, 90000);
});

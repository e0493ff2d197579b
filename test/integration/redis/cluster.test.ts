import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import nock from 'nock';
import { startTestApp, tokenFor, type TestApp } from '../../support/app.js';
import { deliver, hubspotEvent } from '../../support/hubspot.js';
import { waitFor } from '../../support/jobs.js';
import { call, type Answer } from '../../support/patients.js';
import { startTestRedisCluster, type TestRedisCluster } from '../../support/redis-cluster.js';
import { unsettledRows } from '../../support/sweeper.js';
import { startTestWorker } from '../../support/worker.js';

// The API and the worker on a real Redis Cluster (3 primaries, 3 replicas, loopback):
// every journey that needs a job works, /ready and Bull Board work, every BullMQ key is
// in the one slot of the hash-tagged prefix; then the primary holding that slot is
// killed under load and its replica takes over. Every acknowledged request reaches its
// final state and both processes recover, without a restart. OneSignal and Jarvis are nock'd.

const ONESIGNAL = 'https://onesignal.test';
const JARVIS = 'https://jarvis.test';
const ZONE = 'Europe/London';
const DENTIST_ID = 42;
const ADMIN = { ADMIN_USERNAME: 'ops', ADMIN_PASSWORD: 'cluster-board-password' };

let cluster: TestRedisCluster;
let app: TestApp;
let worker: Awaited<ReturnType<typeof startTestWorker>>;

/** What OneSignal and Jarvis were asked, as they would have seen it. */
const onesignalCreates = new Map<string, number>();
const onesignalDeletes = new Map<string, number>();
const jarvisCalls: string[] = [];

beforeEach(() => {
  // OneSignal creates idempotently on idempotency_key, as the real one does.
  nock(ONESIGNAL)
    .persist()
    .post('/notifications')
    .reply((_uri, body) => {
      const key = (body as { idempotency_key: string }).idempotency_key;
      onesignalCreates.set(key, (onesignalCreates.get(key) ?? 0) + 1);
      return [200, { id: `os-${key}`, external_id: null }];
    })
    .delete(/^\/notifications\/[^/?]+/)
    .query(true)
    .reply((uri) => {
      const id = decodeURIComponent(uri.split('?')[0]!.split('/').pop()!);
      onesignalDeletes.set(id, (onesignalDeletes.get(id) ?? 0) + 1);
      return [200, { success: true }];
    });
  nock(JARVIS)
    .persist()
    .post((path) => path.startsWith('/api/smilewhite_app/customer/change-dentist/'))
    .reply((uri) => {
      jarvisCalls.push(decodeURIComponent(uri.split('/').at(-2)!));
      return [200, { ticket: { id: `ticket-${jarvisCalls.length}` } }];
    });
});

beforeAll(async () => {
  cluster = await startTestRedisCluster();
  app = await startTestApp({
    env: {
      REDIS_URL: undefined,
      REDIS_CLUSTER_NODES: cluster.nodesEnv,
      ONESIGNAL_APP_ID: 'cluster-app',
      ONESIGNAL_REST_API_KEY: 'cluster-rest-key',
      ONESIGNAL_API_URL: ONESIGNAL,
      JARVIS_API_URL: JARVIS,
      JARVIS_API_KEY: 'cluster-jarvis-key',
      // A job active on the primary that dies is retried once its lock has lapsed: soon.
      WORKER_LOCK_DURATION_MS: '2000',
      WORKER_STALLED_INTERVAL_MS: '2000',
      ...ADMIN,
    },
  });
  // With its production maintenance clock: a failover is noticed and swept by the worker itself.
  worker = await startTestWorker(app.config, [], { maintenanceTickMs: 5000 });
  const internal = { 'x-api-key': app.config.INTERNAL_API_KEYS[0]! };
  const dentist = await app.request(`/internal/dentists/${DENTIST_ID}`, {
    method: 'PUT',
    headers: internal,
    json: { name: 'Dr Forty-Two' },
  });
  if (dentist.status !== 200 && dentist.status !== 201) throw new Error(`dentist: ${dentist.status}`);
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await app?.close();
  await cluster?.stop();
});

interface Patient {
  sub: string;
  email: string;
  token: string;
  base: string;
  userId: string;
}

async function newPatient(): Promise<Patient> {
  const sub = `cluster-${randomUUID()}`;
  const email = `${sub}@example.com`;
  const patient = { sub, email, token: await tokenFor(sub), base: `/auth/users/${sub}`, userId: '' };
  const profile = await call(app, patient, 'PUT', '', { email, timezone: ZONE });
  if (profile.status !== 201 && profile.status !== 200) throw new Error(`profile: ${profile.status}`);
  const today = DateTime.now().setZone(ZONE).startOf('day');
  // The next change a few days ahead: within OneSignal's 30 days after every extension.
  const plan = await call(app, patient, 'PUT', '/treatment', {
    total_aligners: 20,
    current_aligner: 3,
    change_interval_days: 14,
    started_on: today.minus({ days: 40 }).toISODate(),
    current_aligner_started_on: today.minus({ days: 11 }).toISODate(),
  });
  if (plan.status !== 200 && plan.status !== 201) throw new Error(`plan: ${plan.status}`);
  const user = (await app.deps.knex('users').where({ cognito_sub: sub }).first('id')) as { id: string };
  return { ...patient, userId: user.id };
}

const reminders = (patient: Patient) =>
  app.deps
    .knex('reminders')
    .where({ user_id: patient.userId })
    // The profile's weekly summary waits for its Sunday: not this journey's.
    .whereNot({ type: 'weekly_summary' })
    .orderBy('created_at') as Promise<
    Array<{ id: string; type: string; status: string; onesignal_id: string | null }>
  >;

async function webhook(objectId: number): Promise<Answer> {
  const response = await deliver(app, [hubspotEvent({ objectId, propertyName: 'firstname' })]);
  return { status: response.status, body: await response.json() };
}

const slotKey = () => `${app.config.QUEUE_PREFIX}:probe`;

describe('on a Redis Cluster', () => {
  it('hash-tags the prefix, keeps every BullMQ key in its one slot, and /ready and Bull Board work', async () => {
    expect(app.config.QUEUE_PREFIX).toMatch(/^\{test-[^}]+\}$/);
    expect(await (await app.request('/ready')).json()).toEqual({
      status: 'ready',
      checks: { postgres: 'ok', redis: 'ok', migrations: 'ok' },
    });
    expect(await worker.readiness.check()).toMatchObject({ ready: true });

    const auth = {
      authorization: `Basic ${Buffer.from(`${ADMIN.ADMIN_USERNAME}:${ADMIN.ADMIN_PASSWORD}`).toString('base64')}`,
    };
    const board = await app.request('/admin/queues/api/queues', { headers: auth });
    expect(board.status).toBe(200);
    const names = ((await board.json()) as { queues: Array<{ name: string }> }).queues.map((q) => q.name);
    expect(names.sort()).toEqual(
      app.deps.queues
        .all()
        .map((queue) => queue.name)
        .sort(),
    );
    const stats = await app.request('/admin/queues/api/redis/stats', { headers: auth });
    expect(await stats.json()).toMatchObject({ mode: 'cluster' });

    // The queues' keys are all on the primary that holds the prefix's slot (and its
    // replica), none on the other primaries.
    const holder = await cluster.primaryFor(slotKey());
    const keysOn = async (port: number) => {
      const client = cluster.servers.find((server) => server.port === port)!.client();
      try {
        return await client.keys(`${app.config.QUEUE_PREFIX}:*`);
      } finally {
        client.disconnect();
      }
    };
    expect((await keysOn(holder.port)).length).toBeGreaterThan(0);
    const others = (await cluster.primaries()).filter((server) => server !== holder);
    expect(others).toHaveLength(2);
    for (const other of others) expect(await keysOn(other.port)).toEqual([]);
  });

  it('runs every journey: aligner change and its reminder, a HubSpot webhook, a dentist change', async () => {
    const patient = await newPatient();
    const change = await call(app, patient, 'POST', '/treatment/aligner-changes');
    expect(change.status).toBe(201);
    const settled = await waitFor(
      () => reminders(patient),
      (rows) => rows.length === 2 && rows.every((row) => ['scheduled', 'cancelled'].includes(row.status)),
      10_000,
      'the plan’s reminder cancelled, the change’s scheduled',
    );
    expect(settled.map((row) => row.status)).toEqual(['cancelled', 'scheduled']);
    expect(onesignalCreates.get(settled[1]!.id)).toBe(1);
    expect(onesignalDeletes.get(settled[0]!.onesignal_id!)).toBe(1);

    const objectId = 80_000 + Math.floor(Math.random() * 9_000);
    expect((await webhook(objectId)).status).toBe(200);
    await waitFor(
      () => app.deps.knex('hubspot_events').where({ object_id: objectId }).first(),
      (event) => event?.status === 'processed',
      10_000,
      'webhook event processed',
    );

    const request = await call(app, patient, 'POST', '/dentist-change-requests', { dentist_id: DENTIST_ID });
    expect(request.status).toBe(202);
    const submitted = await waitFor(
      () => app.deps.knex('dentist_change_requests').where({ id: request.body.id }).first(),
      (row) => row?.status !== 'pending',
      10_000,
      'dentist change submitted',
    );
    expect(submitted).toMatchObject({
      status: 'submitted',
      jarvis_ticket_id: expect.stringMatching(/^ticket-/),
    });
    expect(jarvisCalls.filter((email) => email === patient.email)).toHaveLength(1);
  });

  it('loses nothing acknowledged when the primary holding the queues dies under load, and recovers by itself', async () => {
    const patients = await Promise.all(Array.from({ length: 4 }, () => newPatient()));
    await waitFor(
      async () => (await Promise.all(patients.map(reminders))).flat(),
      (rows) => rows.length === patients.length && rows.every((row) => row.status === 'scheduled'),
      10_000,
      'the plans’ reminders scheduled',
    );

    type Phase = 'before' | 'failover' | 'after';
    let phase: Phase = 'before';
    let stop = false;
    const ledger: Array<{
      what: string;
      patient: number;
      phase: Phase;
      status: number;
      ms: number;
      startedAt: number;
      endedAt: number;
    }> = [];
    const record = async (what: string, patient: number, request: Promise<Answer>) => {
      const started = Date.now();
      const answer = await request;
      const ended = Date.now();
      ledger.push({
        what,
        patient,
        phase,
        status: answer.status,
        ms: ended - started,
        startedAt: started,
        endedAt: ended,
      });
      return answer;
    };
    const firstObjectId = 95_000 + Math.floor(Math.random() * 4_000);
    let objectId = firstObjectId;
    // Each patient, like a phone: extend the aligner (moves the progress reminder), start and
    // end a wear session (schedules, then cancels, a wear reminder); now and then a webhook
    // comes in, and each patient asks once for a dentist change.
    const traffic = patients.map(async (patient, index) => {
      let round = 0;
      while (!stop) {
        round += 1;
        if (round <= 10)
          await record('extension', index, call(app, patient, 'POST', '/treatment/extensions', { days: 1 }));
        const session = await record(
          'wear-start',
          index,
          call(app, patient, 'POST', '/wear-sessions', { reason: 'meal' }),
        );
        if (session.status === 201)
          await record(
            'wear-end',
            index,
            call(app, patient, 'PATCH', `/wear-sessions/${session.body.id}`, {
              ended_at: new Date().toISOString(),
            }),
          );
        if (round % 2 === 0) await record('webhook', index, webhook((objectId += 1)));
        if (round === 2 + index)
          await record(
            'dentist-change',
            index,
            call(app, patient, 'POST', '/dentist-change-requests', { dentist_id: DENTIST_ID }),
          );
        // The pace of each patient's traffic: a fixed think time, as a phone has.
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    });

    // Fixed: the traffic runs 1.5 s before the failover, so jobs are in flight when the primary dies.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const primary = await cluster.primaryFor(slotKey());
    phase = 'failover';
    const failoverStartedAt = Date.now();
    const { promoted, failoverMs } = await cluster.killPrimary(primary);
    const failoverEndedAt = Date.now();
    phase = 'after';
    // Fixed: the traffic goes on 2.5 s against the promoted replica before it stops.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    stop = true;
    await Promise.all(traffic);
    const recoveryStarted = Date.now();

    // The API never needed Redis to answer: every request was acknowledged, quickly.
    expect(ledger.filter((entry) => entry.status < 200 || entry.status >= 300)).toEqual([]);
    // Requests were under way while the primary was down (sent before it, or during it).
    const during = ledger.filter(
      (entry) => entry.startedAt < failoverEndedAt && entry.endedAt > failoverStartedAt,
    );
    expect(during.length).toBeGreaterThan(0);
    const slowest = Math.max(...ledger.map((entry) => entry.ms));
    expect(slowest).toBeLessThan(5000);
    expect(await cluster.primaryFor(slotKey())).toBe(promoted);

    // Jobs the dead primary had not passed on to its replica are gone: the worker sees
    // the cluster drop that primary and sweeps every actionable row (nothing by hand here).
    await waitFor(
      () => unsettledRows(app.deps.knex),
      (left) => left === 0,
      60_000,
      'every acknowledged row final',
    );
    const recoveredMs = Date.now() - recoveryStarted;

    const problems: string[] = [];
    const acked = (what: string, patient: number) =>
      ledger.filter((entry) => entry.what === what && entry.patient === patient && entry.status < 300).length;
    for (const [index, patient] of patients.entries()) {
      const rows = await reminders(patient);
      for (const row of rows) {
        const what = `patient ${index} ${row.type} reminder ${row.id} ${row.status}`;
        if (row.status === 'scheduled' && onesignalCreates.get(row.id) !== 1)
          problems.push(`${what}: created ${onesignalCreates.get(row.id) ?? 0} times at OneSignal`);
        if (row.status === 'cancelled' && row.onesignal_id && !onesignalDeletes.has(row.onesignal_id))
          problems.push(`${what}: never deleted at OneSignal`);
        if (!['scheduled', 'cancelled'].includes(row.status)) problems.push(`${what}: not final`);
      }
      // One progress reminder from the plan and one per extension; one wear reminder per session.
      const progress = rows.filter((row) => row.type === 'progress');
      if (progress.length !== 1 + acked('extension', index))
        problems.push(
          `patient ${index}: ${progress.length} progress reminders, ${acked('extension', index)} extensions`,
        );
      if (progress.filter((row) => row.status === 'scheduled').length !== 1)
        problems.push(`patient ${index}: not exactly one live progress reminder`);
      const wear = rows.filter((row) => row.type === 'wear');
      if (wear.length !== acked('wear-start', index))
        problems.push(
          `patient ${index}: ${wear.length} wear reminders, ${acked('wear-start', index)} sessions`,
        );
      const requests = await app.deps.knex('dentist_change_requests').where({ user_id: patient.userId });
      if (
        requests.length !== acked('dentist-change', index) ||
        requests.some((row) => row.status !== 'submitted')
      )
        problems.push(
          `patient ${index}: dentist changes ${JSON.stringify(requests.map((row) => row.status))}`,
        );
      const calls = jarvisCalls.filter((email) => email === patient.email).length;
      if (calls !== requests.length) problems.push(`patient ${index}: ${calls} Jarvis calls`);
    }
    const webhooks = ledger.filter((entry) => entry.what === 'webhook').length;
    const events = await app.deps
      .knex('hubspot_events')
      .where('object_id', '>', firstObjectId)
      .select('status');
    if (events.length !== webhooks) problems.push(`${events.length} HubSpot events for ${webhooks} webhooks`);
    if (events.some((event) => event.status !== 'processed')) problems.push('a HubSpot event not processed');
    expect(problems).toEqual([]);

    // Both processes are back on the new primary, without a restart: ready, and new work
    // runs through the queues at once (no sweep).
    await waitFor(
      async () => (await app.request('/ready')).status === 200 && (await worker.readiness.check()).ready,
      Boolean,
      10_000,
      'API and worker ready',
    );
    const late = patients[0]!;
    const before = (await reminders(late)).length;
    expect((await call(app, late, 'POST', '/treatment/aligner-changes')).status).toBe(201);
    await waitFor(
      () => reminders(late),
      (rows) =>
        rows.length === before + 1 && rows.every((row) => ['scheduled', 'cancelled'].includes(row.status)),
      10_000,
      'a new reminder scheduled after the failover',
    );

    process.stdout.write(
      `Redis Cluster failover: primary :${primary.port} killed, replica :${promoted.port} promoted in ` +
        `${failoverMs} ms; ${ledger.length} requests acknowledged (${during.length} during the failover), ` +
        `slowest ${slowest} ms; all final ${recoveredMs} ms after the load \n`,
    );
  }, 90_000);
});

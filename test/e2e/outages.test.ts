import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import { developmentToken } from '../../src/dev/development-token.js';
import { createKnex } from '../../src/shared/db/knex.js';
import { LOST_CALL_NOTE } from '../../src/dentists/submit-change-job.js';
import { hubspotEvent } from '../support/hubspot.js';
import { signHubSpotRequest } from '../support/hubspot-signer.js';
import { waitFor } from '../support/jobs.js';
import { ADMIN_URL } from '../support/postgres.js';
import { REDIS_URL } from '../support/redis.js';
import { JarvisStub } from '../support/stubs/jarvis-stub.js';
import { OneSignalStub } from '../support/stubs/onesignal-stub.js';
import { awaitingHandOver, unsettledDetail, unsettledRows } from '../support/sweeper.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { startStack, type Stack } from '../support/processes.js';

// Real outages under load (docs/dispatch.md, docs/operations.md; issue 9): the API and the worker run as
// separate processes that reach Postgres and Redis through loopback proxies, which are
// cut (open connections reset, new ones refused) and restored, while patients use the
// app. Nothing acknowledged may be lost, no process may exit, and the service recovers
// by itself. OneSignal and Jarvis are loopback stubs.

const ZONE = 'Europe/London';
const INTERNAL_KEY = 'e2e-outage-internal-key';
const HUBSPOT_SECRET = 'e2e-outage-hubspot-secret';
const DENTIST_ID = 42;
const OTHER_DENTIST_ID = 43;
/** Extensions of a day each, per patient: the next change stays within OneSignal's 30 days. */
const MAX_EXTENSIONS = 12;
/** How long each outage lasts. */
const OUTAGE_MS = 5000;

function targetOf(url: string, defaultPort: number): [number, string] {
  const parsed = new URL(url);
  return [Number(parsed.port || defaultPort), parsed.hostname];
}

const onesignal = new OneSignalStub();
const jarvis = new JarvisStub();
const postgresProxy = new TcpProxy(...targetOf(ADMIN_URL, 5432));
const redisProxy = new TcpProxy(...targetOf(REDIS_URL, 6379));
let stack: Stack;
/** Straight to the real Postgres (not through the proxy): what the test reads the rows with. */
let db: Knex;
let workerBase: string;

interface Patient {
  index: number;
  sub: string;
  email: string;
  token: string;
  base: string;
  userId: string;
}
const patients: Patient[] = [];

type Phase = 'before' | 'outage' | 'after';
interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are read field by field
  body: any;
  headers: Headers;
  ms: number;
}
/** Every request the test made: what, for whom, in which phase it started, and how it ended. */
const ledger: Array<{ what: string; patient: number; phase: Phase; status: number; ms: number }> = [];
/** Dentist changes whose first Jarvis answer the worker could not record (Postgres was away). */
const unrecordedAnswers = new Set<string>();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function send(
  base: string,
  method: string,
  path: string,
  options: {
    token?: string;
    apiKey?: string;
    json?: unknown;
    raw?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer> {
  const started = Date.now();
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.apiKey ? { 'x-api-key': options.apiKey } : {}),
      ...(options.json !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    ...(options.json !== undefined ? { body: JSON.stringify(options.json) } : {}),
    ...(options.raw !== undefined ? { body: options.raw } : {}),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: kept as text
  }
  return { status: response.status, body, headers: response.headers, ms: Date.now() - started };
}

const api = (method: string, path: string, options: Parameters<typeof send>[3] = {}) =>
  send(stack.base, method, path, options);
const asPatient = (patient: Patient, method: string, path: string, json?: unknown, headers = {}) =>
  api(method, `${patient.base}${path}`, { token: patient.token, json, headers });

async function recorded(what: string, patient: Patient, phase: Phase, request: Promise<Answer>) {
  const answer = await request;
  ledger.push({ what, patient: patient.index, phase, status: answer.status, ms: answer.ms });
  return answer;
}

const acked = (what: string, patient?: number) =>
  ledger.filter(
    (entry) =>
      entry.what === what &&
      entry.status >= 200 &&
      entry.status < 300 &&
      (patient === undefined || entry.patient === patient),
  ).length;

function deliverWebhook(events: unknown[]): Promise<Answer> {
  const raw = JSON.stringify(events);
  const path = '/public/hubspot/webhooks';
  return api('POST', path, {
    headers: {
      'content-type': 'application/json',
      ...signHubSpotRequest({ secret: HUBSPOT_SECRET, uri: `${stack.base}${path}`, body: raw }),
    },
    raw,
  });
}

interface ReminderRow {
  id: string;
  user_id: string;
  type: 'progress' | 'wear' | 'weekly_summary';
  status: string;
  onesignal_id: string | null;
  send_after: Date;
  last_error: string | null;
}

/**
 * Every reminder, dentist change and webhook event ended final, and each effect is
 * where it should be, once: OneSignal holds exactly the scheduled reminders (each
 * created once; every other one it was given is deleted there), Jarvis got one call
 * per request. `maybe`
 * counts requests answered 503 that may still have committed (cut mid-request).
 */
async function expectEverythingProcessed(
  maybe: { extensions: number; wear: number } = { extensions: 0, wear: 0 },
) {
  const problems: string[] = [];
  const reminders = (await db('reminders').select('*')) as ReminderRow[];
  const creates = new Map<string, number>();
  for (const call of onesignal.creates()) {
    const key = (call.body as { idempotency_key: string }).idempotency_key;
    creates.set(key, (creates.get(key) ?? 0) + 1);
  }
  const deletes = new Map<string, number>();
  for (const call of onesignal.cancels()) {
    const id = decodeURIComponent(call.path.split('/').pop()!);
    deletes.set(id, (deletes.get(id) ?? 0) + 1);
  }
  for (const reminder of reminders) {
    const what = `${reminder.type} reminder ${reminder.id} (${reminder.status})`;
    const created = creates.get(reminder.id) ?? 0;
    if (created > 1) problems.push(`${what}: created ${created} times at OneSignal`);
    if (reminder.status === 'scheduled') {
      if (created === 0) problems.push(`${what}: scheduled, never created at OneSignal`);
      if (deletes.has(reminder.onesignal_id!)) problems.push(`${what}: scheduled, but deleted at OneSignal`);
    } else if (reminder.status === 'cancelled') {
      // At least once: a DELETE is idempotent, and one whose answer came while Postgres
      // was away (the outcome could not be recorded) is rightly sent again on the retry.
      if (reminder.onesignal_id && (deletes.get(reminder.onesignal_id) ?? 0) < 1)
        problems.push(`${what}: created at OneSignal, never deleted there`);
      if (!reminder.onesignal_id && created > 0)
        problems.push(`${what}: created at OneSignal, id not recorded`);
    } else if (awaitingHandOver(reminder)) {
      if (created > 0) problems.push(`${what}: created at OneSignal before its hand-over`);
    } else {
      problems.push(`${what}: not final (${reminder.last_error ?? 'no error'})`);
    }
  }
  const known = new Set(reminders.map((reminder) => reminder.id));
  for (const key of creates.keys())
    if (!known.has(key)) problems.push(`OneSignal has a stray notification ${key}`);

  for (const patient of patients) {
    const mine = reminders.filter((reminder) => reminder.user_id === patient.userId);
    const progress = mine.filter((reminder) => reminder.type === 'progress');
    const wear = mine.filter((reminder) => reminder.type === 'wear');
    // One progress reminder from the plan, one more per extension; one wear reminder per session.
    const extensions = acked('extension', patient.index);
    if (progress.length < 1 + extensions || progress.length > 1 + extensions + maybe.extensions)
      problems.push(
        `patient ${patient.index}: ${progress.length} progress reminders for ${extensions} extensions`,
      );
    const sessions = acked('wear-start', patient.index);
    if (wear.length < sessions || wear.length > sessions + maybe.wear)
      problems.push(`patient ${patient.index}: ${wear.length} wear reminders for ${sessions} sessions`);
    // The latest plan wins: one live progress reminder, at 09:00 local on the next change.
    const live = progress.filter((reminder) => reminder.status === 'scheduled');
    const treatment = await asPatient(patient, 'GET', '/treatment');
    const nineAm = DateTime.fromISO(treatment.body.next_change_on as string, { zone: ZONE })
      .set({ hour: 9 })
      .toUTC()
      .toISO();
    if (live.length !== 1 || live[0]!.send_after.toISOString() !== nineAm)
      problems.push(
        `patient ${patient.index}: live progress reminders ${JSON.stringify(live)}, expected ${nineAm}`,
      );
  }

  const requests = (await db('dentist_change_requests').select('*')) as Array<{
    id: string;
    user_id: string;
    status: string;
    jarvis_ticket_id: string | null;
    note: string | null;
  }>;
  if (requests.length !== acked('dentist-change'))
    problems.push(`${requests.length} dentist change requests for ${acked('dentist-change')} acknowledged`);
  for (const patient of patients) {
    let expectedCalls = 0;
    for (const request of requests.filter((each) => each.user_id === patient.userId)) {
      const what = `dentist change ${request.id} (${request.status}, ticket ${request.jarvis_ticket_id})`;
      if (!['submitted', 'completed'].includes(request.status)) problems.push(`${what}: not final`);
      if (unrecordedAnswers.has(request.id)) {
        // Its answer was lost to the outage: the retry's 409 says that call went through (docs/dentists.md#jarvis).
        expectedCalls += 2;
        if (request.jarvis_ticket_id !== null || request.note !== LOST_CALL_NOTE)
          problems.push(`${what}: ${request.note}`);
      } else {
        expectedCalls += 1;
        if (!request.jarvis_ticket_id?.startsWith('ticket-')) problems.push(`${what}: no ticket`);
      }
    }
    const calls = jarvis.calls.filter((call) => call.rawPath.includes(encodeURIComponent(patient.email)));
    if (calls.length !== expectedCalls)
      problems.push(`patient ${patient.index}: ${calls.length} calls to Jarvis, ${expectedCalls} expected`);
  }

  const events = (await db('hubspot_events').select('status')) as Array<{ status: string }>;
  if (events.length !== acked('webhook')) problems.push(`${events.length} HubSpot events stored`);
  for (const event of events)
    if (!['processed', 'ignored'].includes(event.status)) problems.push(`HubSpot event ${event.status}`);

  expect(problems).toEqual([]);
}

function expectAlive() {
  expect(stack.api.child.exitCode).toBeNull();
  expect(stack.api.child.signalCode).toBeNull();
  expect(stack.worker.child.exitCode).toBeNull();
  expect(stack.worker.child.signalCode).toBeNull();
}

/** Set-up steps (outside a test, where `expect` does not belong) must succeed. */
function succeeded(answer: Answer): void {
  if (answer.status < 200 || answer.status >= 300)
    throw new Error(`set-up request failed: ${answer.status} ${JSON.stringify(answer.body)}`);
}

const ready = async (base: string) => (await send(base, 'GET', '/ready')).status === 200;

beforeAll(async () => {
  await Promise.all([onesignal.start(), jarvis.start(), postgresProxy.start(), redisProxy.start()]);
  stack = await startStack(
    {
      INTERNAL_API_KEYS: INTERNAL_KEY,
      HUBSPOT_CLIENT_SECRET: HUBSPOT_SECRET,
      ONESIGNAL_APP_ID: 'e2e-outage-app',
      ONESIGNAL_REST_API_KEY: 'e2e-outage-rest-key',
      ONESIGNAL_API_URL: onesignal.url,
      JARVIS_API_URL: jarvis.url,
      JARVIS_API_KEY: 'e2e-outage-jarvis-key',
    },
    { connectVia: { postgresPort: postgresProxy.port, redisPort: redisProxy.port } },
  );
  const port = /"port":(\d+)[^\n]*worker health port listening/.exec(stack.worker.output())?.[1];
  workerBase = `http://127.0.0.1:${port}`;
  db = createKnex(stack.databaseUrl, { max: 2 });

  for (const id of [DENTIST_ID, OTHER_DENTIST_ID])
    succeeded(
      await api('PUT', `/internal/dentists/${id}`, { apiKey: INTERNAL_KEY, json: { name: `Dr ${id}` } }),
    );
  const today = DateTime.now().setZone(ZONE).startOf('day');
  for (let index = 0; index < 4; index += 1) {
    const sub = `e2e-outage-patient-${index}`;
    const email = `outage.patient.${index}@example.com`;
    const token = await developmentToken(sub);
    const base = `/auth/users/${sub}`;
    succeeded(await api('PUT', base, { token, json: { email, timezone: ZONE } }));
    // The next change three days ahead: within OneSignal's 30 days even after every extension.
    const plan = api('PUT', `${base}/treatment`, {
      token,
      json: {
        total_aligners: 20,
        current_aligner: 3,
        change_interval_days: 14,
        started_on: today.minus({ days: 40 }).toISODate(),
        current_aligner_started_on: today.minus({ days: 11 }).toISODate(),
      },
    });
    succeeded(await plan);
    const user = (await db('users').where({ cognito_sub: sub }).first('id')) as { id: string };
    patients.push({ index, sub, email, token, base, userId: user.id });
  }
  await waitFor(
    async () => onesignal.creates().length,
    (n) => n === patients.length,
  );
}, 120000);

afterAll(async () => {
  await postgresProxy.restore();
  await redisProxy.restore();
  await db?.destroy();
  await stack?.stop();
  await Promise.all([onesignal.stop(), jarvis.stop(), postgresProxy.stop(), redisProxy.stop()]);
});

describe('outages (API and worker processes behind cut-able proxies)', () => {
  it('Redis: every acknowledged request is processed after it returns; the worker resumes; nothing exits', async () => {
    let phase: Phase = 'before';
    let stopTraffic = false;
    // Each patient, like a phone: extend the aligner (moves the progress reminder),
    // start and end a wear session (schedules and cancels a wear reminder), again and again.
    const traffic = patients.map(async (patient) => {
      let extensions = 0;
      while (!stopTraffic) {
        if (extensions < MAX_EXTENSIONS) {
          extensions += 1;
          await recorded(
            'extension',
            patient,
            phase,
            asPatient(patient, 'POST', '/treatment/extensions', { days: 1 }),
          );
        }
        const started = await recorded(
          'wear-start',
          patient,
          phase,
          asPatient(patient, 'POST', '/wear-sessions', { reason: 'meal' }),
        );
        // Fixed think times (here and below): the pace of a phone's traffic, not a wait for anything.
        await sleep(40);
        if (started.status === 201)
          await recorded(
            'wear-end',
            patient,
            phase,
            asPatient(patient, 'PATCH', `/wear-sessions/${started.body.id}`, {
              ended_at: new Date().toISOString(),
            }),
          );
        await sleep(250);
      }
    });
    const changeDentist = (patient: Patient) =>
      recorded(
        'dentist-change',
        patient,
        phase,
        asPatient(patient, 'POST', '/dentist-change-requests', { dentist_id: DENTIST_ID }),
      );

    await changeDentist(patients[2]!);
    // Fixed phases: 1.5 s of traffic before the cut, OUTAGE_MS of outage, 2 s after it.
    await sleep(1500);
    await redisProxy.cut();
    phase = 'outage';
    const cutAt = Date.now();

    // While Redis is away: more requests that need jobs, and readiness says what is wrong.
    await changeDentist(patients[0]!);
    await changeDentist(patients[1]!);
    const webhook = await deliverWebhook([hubspotEvent({ objectId: 987654, propertyName: 'firstname' })]);
    ledger.push({ what: 'webhook', patient: -1, phase, status: webhook.status, ms: webhook.ms });
    const apiReadiness = await send(stack.base, 'GET', '/ready');
    expect(apiReadiness).toMatchObject({
      status: 503,
      body: { checks: { redis: 'unreachable', postgres: 'ok' } },
    });
    const workerReadiness = await send(workerBase, 'GET', '/ready');
    expect(workerReadiness).toMatchObject({ status: 503, body: { checks: { redis: 'unreachable' } } });
    expect((await send(stack.base, 'GET', '/health')).status).toBe(200);

    await sleep(Math.max(0, cutAt + OUTAGE_MS - Date.now()));
    await redisProxy.restore();
    phase = 'after';
    const restoredAt = Date.now();
    await changeDentist(patients[3]!);
    await sleep(2000);
    stopTraffic = true;
    await Promise.all(traffic);

    // The API never needed Redis to answer: everything was acknowledged, and quickly.
    const duringOutage = ledger.filter((entry) => entry.phase === 'outage');
    expect(duringOutage.length).toBeGreaterThan(10);
    expect(ledger.filter((entry) => entry.status < 200 || entry.status >= 300)).toEqual([]);
    expect(Math.max(...duringOutage.map((entry) => entry.ms))).toBeLessThan(5000);

    // Nothing is aged or swept by hand: the worker's connection came back, and the API's
    // failed enqueues asked for a catch-up, so every actionable row is swept at once
    // (decision record 008).
    await waitFor(
      () => unsettledRows(db),
      (n) => n === 0,
      60000,
    );
    const recoveredMs = Date.now() - restoredAt;
    await expectEverythingProcessed();
    await waitFor(
      async () => (await ready(stack.base)) && (await ready(workerBase)),
      (value) => value,
      10000,
    );
    expectAlive();
    process.stdout.write(
      `Redis outage: ${duringOutage.length} requests acknowledged during ${OUTAGE_MS} ms, ` +
        `max ${Math.max(...duringOutage.map((entry) => entry.ms))} ms; all processed ${recoveredMs} ms after restore\n`,
    );
  }, 90000);

  it('Postgres: 503 problems while it is away (never a 500, never a lost 2xx); recovers without a restart', async () => {
    const patient = patients[0]!;
    // The worker mid-job when Postgres goes: a dentist change whose Jarvis answer (held
    // 1.5 s) arrives while the database is away, so the worker cannot record it.
    const changer = patients[3]!;
    const assigned = await api(
      'PUT',
      `/internal/users/by-email/${encodeURIComponent(changer.email)}/dentist`,
      {
        apiKey: INTERNAL_KEY,
        json: { dentist_id: DENTIST_ID },
      },
    );
    expect(assigned.status).toBe(200);
    jarvis.answerNext({ status: 200, body: { ticket: { id: 'ticket-unrecorded' } }, delayMs: 1500 });
    const jarvisCalls = jarvis.calls.length;
    const change = await recorded(
      'dentist-change',
      changer,
      'before',
      asPatient(changer, 'POST', '/dentist-change-requests', { dentist_id: OTHER_DENTIST_ID }),
    );
    expect(change.status).toBe(202);
    unrecordedAnswers.add(change.body.id as string);
    await waitFor(
      async () => jarvis.calls.length,
      (n) => n === jarvisCalls + 1,
    );

    // Requests in flight when Postgres goes: each either commits (2xx, then processed) or is a 503.
    // They start 10 ms apart and the cut comes in their midst.
    const burst = patients.map(async (each) => {
      await sleep(each.index * 10);
      return recorded(
        'extension',
        each,
        'outage',
        asPatient(each, 'POST', '/treatment/extensions', { days: 1 }),
      );
    });
    await sleep(25);
    await postgresProxy.cut();
    const cutAt = Date.now();
    const burstAnswers = await Promise.all(burst);
    for (const answer of burstAnswers) expect([201, 503]).toContain(answer.status);
    const maybeCommitted = burstAnswers.filter((answer) => answer.status === 503).length;

    const idempotencyKey = `outage-${Date.now()}`;
    const probes: Array<[string, () => Promise<Answer>]> = [
      ['profile', () => asPatient(patient, 'GET', '')],
      ['treatment', () => asPatient(patient, 'GET', '/treatment')],
      [
        'extension',
        () =>
          asPatient(
            patient,
            'POST',
            '/treatment/extensions',
            { days: 1 },
            { 'idempotency-key': idempotencyKey },
          ),
      ],
      ['wear-start', () => asPatient(patient, 'POST', '/wear-sessions', { reason: 'meal' })],
      [
        'dentist-change',
        () => asPatient(patients[1]!, 'POST', '/dentist-change-requests', { dentist_id: DENTIST_ID }),
      ],
      ['notifications', () => asPatient(patient, 'GET', '/notifications')],
      ['dentists', () => api('GET', '/auth/dentists?q=dr', { token: patient.token })],
      [
        'internal user',
        () =>
          api('GET', `/internal/users?email=${encodeURIComponent(patient.email)}`, { apiKey: INTERNAL_KEY }),
      ],
      [
        'internal dentist',
        () => api('PUT', '/internal/dentists/77', { apiKey: INTERNAL_KEY, json: { name: 'Dr New' } }),
      ],
      ['webhook', () => deliverWebhook([hubspotEvent({ objectId: 123456 })])],
    ];
    const refused: string[] = [];
    // Right after the cut (pooled connections just reset) and, 2 s into the outage (fixed:
    // a moment of the outage, not a wait for anything), once new connections are refused.
    for (const round of [0, 1]) {
      if (round === 1) await sleep(2000);
      for (const [what, probe] of probes) {
        const answer = await probe();
        if (
          answer.status !== 503 ||
          !answer.headers.get('content-type')?.startsWith('application/problem+json') ||
          answer.body?.code !== 'service_unavailable' ||
          answer.headers.get('retry-after') !== '5'
        )
          refused.push(
            `round ${round} ${what}: ${answer.status} ${answer.headers.get('content-type')} ` +
              `retry-after ${answer.headers.get('retry-after')} ${JSON.stringify(answer.body)}`,
          );
      }
    }
    expect(refused).toEqual([]);
    expect(await send(stack.base, 'GET', '/ready')).toMatchObject({
      status: 503,
      body: { checks: { postgres: 'unreachable', redis: 'ok' } },
    });
    expect(await send(workerBase, 'GET', '/ready')).toMatchObject({
      status: 503,
      body: { checks: { postgres: 'unreachable' } },
    });
    expect((await send(stack.base, 'GET', '/health')).status).toBe(200);

    // The outage lasts OUTAGE_MS (fixed: the fault's length).
    await sleep(Math.max(0, cutAt + OUTAGE_MS - Date.now()));
    await postgresProxy.restore();
    const restoredAt = Date.now();
    await waitFor(
      () => ready(stack.base),
      (value) => value,
      20000,
    );
    const apiReadyMs = Date.now() - restoredAt;
    await waitFor(
      () => ready(workerBase),
      (value) => value,
      20000,
    );
    const workerReadyMs = Date.now() - restoredAt;

    // Back by itself: the request refused during the outage, retried with its key, now runs once.
    const retried = await recorded(
      'extension',
      patient,
      'after',
      asPatient(patient, 'POST', '/treatment/extensions', { days: 1 }, { 'idempotency-key': idempotencyKey }),
    );
    expect(retried.status).toBe(201);
    const replayed = await asPatient(
      patient,
      'POST',
      '/treatment/extensions',
      { days: 1 },
      { 'idempotency-key': idempotencyKey },
    );
    expect(replayed).toMatchObject({ status: 201, body: retried.body });
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    const session = await recorded(
      'wear-start',
      patient,
      'after',
      asPatient(patient, 'POST', '/wear-sessions', { reason: 'meal' }),
    );
    expect(session.status).toBe(201);

    // Up to the sweeper's bound (a row is swept once left alone 60 s, sweeps every 30 s):
    // under a loaded CI a row was twice still unsettled after 40 s and 70 s, its job gone
    // or delayed by the outage. Usually all is done in about a second (the log line below).
    await waitFor(
      () => unsettledRows(db),
      (n) => n === 0,
      100_000,
      'every row settled after Postgres came back',
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}; unsettled: ${JSON.stringify(await unsettledDetail(db))}`);
    });
    const recoveredMs = Date.now() - restoredAt;
    await expectEverythingProcessed({ extensions: maybeCommitted, wear: 0 });
    expectAlive();
    process.stdout.write(
      `Postgres outage: burst ${burstAnswers.map((answer) => `${answer.status} in ${answer.ms} ms`).join(', ')}; ` +
        `API ready ${apiReadyMs} ms and worker ready ${workerReadyMs} ms after restore; ` +
        `all processed ${recoveredMs} ms after restore\n`,
    );
  }, 180_000);
});

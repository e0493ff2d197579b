import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addDays, todayIn } from '../../../src/shared/time/local-time.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { TEST_INTERNAL_KEYS } from '../../support/config.js';
import { deliver, hubspotEvent } from '../../support/hubspot.js';
import { waitFor } from '../../support/jobs.js';
import { call, newPatient, type Patient } from '../../support/patients.js';
import { startTestRedisServer, type TestRedisServer } from '../../support/redis-server.js';
import { JarvisStub } from '../../support/stubs/jarvis-stub.js';
import { OneSignalStub } from '../../support/stubs/onesignal-stub.js';
import { startTestWorker } from '../../support/worker.js';
import { postToS3, startUpload } from '../../support/image-fixtures.js';

// Redis that forgets (issue 14): the API and the worker keep running while their Redis
// loses every key — killed and started again empty on the same port, as after a restart
// without persistence or a node replacement, and a FLUSHALL while the worker is busy.
// Postgres holds every piece of work, so everything acknowledged before, during and
// after must still reach its final state, within 60 s of Redis's return, each external
// effect once. The worker runs its production maintenance clock (nothing is swept by
// the test, no row is aged by hand). OneSignal and Jarvis are loopback stubs; S3 is s3rver.

const ZONE = 'Europe/London';
const DENTIST_ID = 42;
const RECOVERY_MS = 60_000;
const OUTAGE_MS = 4000;

let redis: TestRedisServer;
const onesignal = new OneSignalStub();
const jarvis = new JarvisStub();
let app: TestApp;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
let nextObjectId = 880_000;
/** Jarvis tickets opened by scripted answers. */
let scriptedTickets = 0;

beforeAll(async () => {
  redis = await startTestRedisServer();
  await Promise.all([onesignal.start(), jarvis.start()]);
  app = await startTestApp({
    env: {
      REDIS_URL: redis.url,
      ONESIGNAL_APP_ID: 'data-loss-app',
      ONESIGNAL_REST_API_KEY: 'data-loss-rest-key',
      ONESIGNAL_API_URL: onesignal.url,
      JARVIS_API_URL: jarvis.url,
      JARVIS_API_KEY: 'data-loss-jarvis-key',
    },
  });
  // The production clock: Redis's state looked at every 5 s, sweeps every 30 s.
  worker = await startTestWorker(app.config, [], { maintenanceTickMs: 5000 });
  const dentist = await app.request(`/internal/dentists/${DENTIST_ID}`, {
    method: 'PUT',
    headers: { 'x-api-key': TEST_INTERNAL_KEYS[0] },
    json: { name: 'Dr Forget' },
  });
  if (dentist.status !== 201) throw new Error(`dentist: ${dentist.status}`);
}, 60000);

afterAll(async () => {
  await worker?.stop();
  await app?.close();
  await Promise.all([redis?.stop(), onesignal.stop(), jarvis.stop()]);
});

/** A patient in treatment, with the progress reminder of their next change handed to OneSignal. */
async function patientInTreatment(): Promise<Patient> {
  const patient = await newPatient(app, { timezone: ZONE });
  const today = todayIn(ZONE, new Date());
  const plan = await call(app, patient, 'PUT', '/treatment', {
    total_aligners: 30,
    current_aligner: 3,
    change_interval_days: 14,
    started_on: addDays(today, -40),
    current_aligner_started_on: addDays(today, -10),
  });
  if (plan.status !== 201) throw new Error(`treatment: ${plan.status} ${JSON.stringify(plan.body)}`);
  return patient;
}

type Phase = 'before' | 'outage' | 'after';
const acknowledged: Array<{ what: string; phase: Phase; status: number }> = [];

function expectAcknowledged(what: string, phase: Phase, status: number, expected: number): void {
  acknowledged.push({ what, phase, status });
  if (status !== expected) throw new Error(`${what} (${phase}): ${status}, expected ${expected}`);
}

/** Extensions of a day each, per patient: the next change stays within OneSignal's 30 days. */
const MAX_EXTENSIONS = 12;
const extensions = new Map<Patient, number>();

/**
 * One round of what phones and HubSpot send: an extension (the progress reminder
 * cancelled, a new one scheduled), a wear session (a wear reminder scheduled, then
 * cancelled) and a webhook. Each must be acknowledged whatever Redis is doing.
 */
async function round(patient: Patient, phase: Phase): Promise<void> {
  const extended = extensions.get(patient) ?? 0;
  if (extended < MAX_EXTENSIONS) {
    extensions.set(patient, extended + 1);
    const extension = await call(app, patient, 'POST', '/treatment/extensions', { days: 1 });
    expectAcknowledged('extension', phase, extension.status, 201);
  }
  const started = await call(app, patient, 'POST', '/wear-sessions', { reason: 'meal' });
  expectAcknowledged('wear start', phase, started.status, 201);
  const ended = await call(app, patient, 'PATCH', `/wear-sessions/${started.body.id}`, {
    ended_at: new Date().toISOString(),
  });
  expectAcknowledged('wear end', phase, ended.status, 200);
  nextObjectId += 1;
  const webhook = await deliver(app, [hubspotEvent({ objectId: nextObjectId })]);
  expectAcknowledged('webhook', phase, webhook.status, 200);
}

async function changeDentist(patient: Patient, phase: Phase): Promise<void> {
  const answer = await call(app, patient, 'POST', '/dentist-change-requests', { dentist_id: DENTIST_ID });
  expectAcknowledged('dentist change', phase, answer.status, 202);
}

/** A photo uploaded to S3, then deleted: the object must go. */
async function deletedPhoto(phase: Phase): Promise<string> {
  const owner = await newPatient(app);
  const photos = { ...owner, base: `${owner.base}/images` };
  const started = await startUpload(app, photos);
  if (!(await postToS3(started.upload, new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).ok)
    throw new Error('S3 refused the upload');
  const deleted = await app.request(`${photos.base}/${started.id}`, { method: 'DELETE', token: owner.token });
  expectAcknowledged('photo deletion', phase, deleted.status, 204);
  return started.upload.fields.key!;
}

async function eraseAccount(patient: Patient, phase: Phase): Promise<void> {
  const answer = await call(app, patient, 'DELETE', '');
  expectAcknowledged('erasure', phase, answer.status, 202);
}

/** Rows whose work is owed now: none once everything acknowledged has been carried out. */
async function owed(): Promise<Record<string, number>> {
  const count = async (query: ReturnType<TestApp['deps']['knex']>) =>
    Number(((await query.count({ n: '*' })) as Array<{ n: string }>)[0]!.n);
  const { knex } = app.deps;
  return {
    reminders: await count(
      knex('reminders')
        .whereIn('status', ['pending', 'cancel_requested'])
        .where('send_after', '<=', knex.raw("now() + interval '30 days'")),
    ),
    dentistChanges: await count(knex('dentist_change_requests').where({ status: 'pending' })),
    hubspotEvents: await count(knex('hubspot_events').where({ status: 'received' })),
    imageDeletions: await count(
      knex('image_deletions').where({ status: 'pending' }).where('not_before', '<=', knex.fn.now()),
    ),
    erasures: await count(knex('account_erasures').where({ status: 'pending' })),
  };
}

const nothingOwed = (counts: Record<string, number>) => Object.values(counts).every((n) => n === 0);

/**
 * Each external effect exactly once: OneSignal holds one live notification per scheduled
 * reminder and nothing else (every withdrawn one deleted there); Jarvis opened one
 * ticket per dentist change; every photo deleted is gone from S3.
 */
async function expectEachEffectOnce(photoKeys: string[]): Promise<void> {
  const problems: string[] = [];
  const reminders = (await app.deps.knex('reminders').select('id', 'status', 'onesignal_id')) as Array<{
    id: string;
    status: string;
    onesignal_id: string | null;
  }>;
  const scheduled = reminders.filter((reminder) => reminder.status === 'scheduled');
  const expectedLive = new Set(scheduled.map((reminder) => reminder.onesignal_id));
  const live = new Set(onesignal.liveIds());
  for (const id of live)
    if (!expectedLive.has(id)) problems.push(`OneSignal has a notification no reminder owns: ${id}`);
  for (const reminder of scheduled)
    if (!live.has(reminder.onesignal_id!))
      problems.push(`scheduled reminder ${reminder.id} is not at OneSignal`);
  for (const reminder of reminders)
    if (!['scheduled', 'cancelled', 'skipped'].includes(reminder.status))
      problems.push(`reminder ${reminder.id} is ${reminder.status}`);

  const requests = (await app.deps.knex('dentist_change_requests').select('id', 'status')) as Array<{
    id: string;
    status: string;
  }>;
  for (const request of requests)
    if (request.status !== 'submitted') problems.push(`dentist change ${request.id} is ${request.status}`);
  // Scripted answers (the slow and held calls) open their ticket outside the stub's book.
  const tickets = jarvis.ticketsByEmail().size + scriptedTickets;
  if (tickets !== requests.length)
    problems.push(`${tickets} Jarvis tickets for ${requests.length} dentist changes`);

  for (const key of photoKeys)
    if ((await app.s3.head(key)).status !== 404) problems.push(`photo ${key} is still in S3`);
  const erasures = (await app.deps.knex('account_erasures').select('status')) as Array<{ status: string }>;
  for (const erasure of erasures)
    if (erasure.status !== 'completed') problems.push(`erasure ${erasure.status}`);
  expect(problems).toEqual([]);
}

async function settleWithin(ms: number, since: number): Promise<number> {
  await waitFor(owed, nothingOwed, ms - (Date.now() - since), 'everything acknowledged carried out');
  return Date.now() - since;
}

describe('Redis loses its data while API and worker run', () => {
  it('killed and restarted empty under mixed load: everything reaches its final state within 60 s, each effect once', async () => {
    const patients = await Promise.all(Array.from({ length: 6 }, () => patientInTreatment()));
    const photoKeys: string[] = [];
    await Promise.all(patients.map((patient) => round(patient, 'before')));
    const change = await call(app, patients[4]!, 'POST', '/treatment/aligner-changes', {});
    expectAcknowledged('aligner change', 'before', change.status, 201);
    await changeDentist(patients[0]!, 'before');
    photoKeys.push(await deletedPhoto('before'));
    // Work in the lost Redis in every state: a Jarvis call failing (its job waiting out
    // its backoff as a delayed job), a long one (active), and rounds just enqueued.
    jarvis.answerNext(
      { status: 503, body: { detail: 'try later' } },
      { status: 200, body: { ticket: { id: 'ticket-slow' } }, delayMs: 1500 },
    );
    scriptedTickets += 1;
    await changeDentist(patients[1]!, 'before');
    await Promise.all(patients.map((patient) => round(patient, 'before')));

    await redis.kill();
    const lostAt = Date.now();
    // Redis is away: the API still acknowledges everything (rows first, jobs later).
    while (Date.now() - lostAt < OUTAGE_MS)
      await Promise.all(patients.slice(2).map((patient) => round(patient, 'outage')));
    await changeDentist(patients[2]!, 'outage');
    photoKeys.push(await deletedPhoto('outage'));
    await eraseAccount(patients[5]!, 'outage');

    // A new, empty server on the same port, as a restarted node without persistence.
    const lost = redis;
    redis = await startTestRedisServer({ port: lost.port });
    await lost.stop();
    const backAt = Date.now();
    await Promise.all(patients.slice(2, 5).map((patient) => round(patient, 'after')));
    await changeDentist(patients[3]!, 'after');
    photoKeys.push(await deletedPhoto('after'));

    const settledMs = await settleWithin(RECOVERY_MS, backAt);
    await expectEachEffectOnce(photoKeys);
    expect(worker.logs.text()).toContain('Redis lost its data');
    expect(acknowledged.filter((entry) => entry.phase === 'outage').length).toBeGreaterThan(10);
    process.stdout.write(
      `Redis restarted empty: ${acknowledged.length} requests acknowledged ` +
        `(${acknowledged.filter((entry) => entry.phase === 'outage').length} while it was down); ` +
        `all carried out ${settledMs} ms after it came back\n`,
    );
  }, 120000);

  it('FLUSHALL while the worker is busy: everything reaches its final state within 60 s, each effect once', async () => {
    const patients = await Promise.all(Array.from({ length: 7 }, () => patientInTreatment()));
    const photoKeys: string[] = [];
    // Six dentist changes, Jarvis slow to answer: four calls under way (the queue's
    // concurrency), the rest waiting in Redis when it is flushed; one fails first (503)
    // and waits out its backoff as a delayed job. The seventh patient erases their account.
    const calls = jarvis.calls.length;
    jarvis.answerNext(
      { status: 503, body: { detail: 'try later' } },
      ...Array.from({ length: 5 }, (_, i) => ({
        status: 200,
        body: { ticket: { id: `ticket-held-${i}` } },
        delayMs: 2500,
      })),
    );
    scriptedTickets += 5;
    const changers = patients.slice(0, 6);
    await Promise.all(changers.map((patient) => changeDentist(patient, 'before')));
    await Promise.all(patients.map((patient) => round(patient, 'before')));
    photoKeys.push(await deletedPhoto('before'));
    await eraseAccount(patients[6]!, 'before');
    await waitFor(
      async () => jarvis.calls.length - calls,
      (n) => n >= 5,
      10000,
      'Jarvis calls under way',
    );

    const admin = redis.client();
    await admin.flushall();
    admin.disconnect();
    const flushedAt = Date.now();
    await Promise.all(patients.slice(0, 3).map((patient) => round(patient, 'after')));

    const settledMs = await settleWithin(RECOVERY_MS, flushedAt);
    const perRequest = jarvis.calls.slice(calls).length;
    await expectEachEffectOnce(photoKeys);
    // Every change once at Jarvis: a call under way at the flush was not sent again.
    expect(perRequest).toBe(changers.length + 1); // each once, and the 503 retried once
    process.stdout.write(`FLUSHALL with the worker busy: all carried out ${settledMs} ms after the flush\n`);
  }, 120000);
});

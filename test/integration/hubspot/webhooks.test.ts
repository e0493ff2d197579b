import { hubspotEventsQueue } from '../../../src/hubspot/jobs.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { processHubspotEvent } from '../../../src/hubspot/process-event-job.js';
import { pruneHubspotEvents } from '../../../src/hubspot/retention.js';
import { sweep } from '../../../src/worker/maintenance/sweep.js';
import { sweepSources } from '../../support/worker.js';
import { startTestApp, tokenFor, type TestApp } from '../../support/app.js';
import { createUser } from '../../support/factories.js';
import { deliver, hubspotEvent } from '../../support/hubspot.js';
import { fakeJob, waitFor } from '../../support/jobs.js';
import { TcpProxy } from '../../support/tcp-proxy.js';
import { startTestWorker, workerContextFor } from '../../support/worker.js';

let app: TestApp;
let worker: Awaited<ReturnType<typeof startTestWorker>> | undefined;
let contactSeq = 70_000 + Math.floor(Math.random() * 10_000);
const newContact = () => ++contactSeq;

beforeAll(async () => {
  app = await startTestApp();
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
});
afterAll(() => app.close());

const events = (objectId: number) => app.deps.knex('hubspot_events').where({ object_id: objectId });
const contact = (objectId: number) =>
  app.deps.knex('hubspot_contacts').where({ contact_id: objectId }).first();
const internal = (path: string, init: RequestInit = {}) =>
  app.request(path, { ...init, headers: { 'x-api-key': app.config.INTERNAL_API_KEYS[0]! } });

describe('POST /public/hubspot/webhooks: acknowledgement', () => {
  it('stores and acknowledges a batch; the same batch 3 times in a row is stored and applied once', async () => {
    const objectId = newContact();
    const batch = [
      hubspotEvent({ objectId, propertyName: 'firstname', propertyValue: 'Sam' }),
      hubspotEvent({ objectId, propertyName: 'lastname', propertyValue: 'Jones' }),
    ];
    const answers = [];
    for (let i = 0; i < 3; i += 1) {
      const response = await deliver(app, batch);
      expect(response.status).toBe(200);
      answers.push(await response.json());
    }
    expect(answers).toEqual([
      { received: 2, duplicates: 0 },
      { received: 2, duplicates: 2 },
      { received: 2, duplicates: 2 },
    ]);
    expect(await events(objectId).count({ n: '*' })).toEqual([{ n: 2 }]);
    worker = await startTestWorker(app.config);
    await waitFor(
      async () => (await events(objectId).where({ status: 'processed' }).count({ n: '*' }))[0],
      (r) => r?.n === 2,
    );
    expect((await contact(objectId)).properties).toEqual({
      firstname: { value: 'Sam', occurred_at: batch[0]!.occurredAt },
      lastname: { value: 'Jones', occurred_at: batch[1]!.occurredAt },
    });
    expect(await events(objectId).where({ attempts: 1 }).count({ n: '*' })).toEqual([{ n: 2 }]);
  });

  it('the same batch 10 times concurrently: every delivery 200, each event stored once', async () => {
    const objectId = newContact();
    const batch = Array.from({ length: 5 }, (_, i) =>
      hubspotEvent({ objectId, propertyName: `p${i}`, propertyValue: `${i}` }),
    );
    const responses = await Promise.all(Array.from({ length: 10 }, () => deliver(app, batch)));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as Array<{
      received: number;
      duplicates: number;
    }>;
    expect(bodies.reduce((sum, b) => sum + (b.received - b.duplicates), 0)).toBe(5);
    expect(await events(objectId).count({ n: '*' })).toEqual([{ n: 5 }]);
  });

  it.each([
    ['malformed JSON', '[{"eventId": 1,'],
    ['an object instead of an array', { eventId: 1 }],
    ['an array of non-events', [{ hello: 'world' }]],
  ])('answers 400 to %s, storing nothing', async (_case, body) => {
    const before = await app.deps.knex('hubspot_events').count({ n: '*' });
    const response = await deliver(app, body);
    expect(response.status).toBe(400);
    expect(await app.deps.knex('hubspot_events').count({ n: '*' })).toEqual(before);
  });

  it('answers 401 to an unsigned or wrongly signed batch, storing nothing', async () => {
    const objectId = newContact();
    const body = JSON.stringify([hubspotEvent({ objectId })]);
    const unsigned = await fetch(`${app.url}/public/hubspot/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(unsigned.status).toBe(401);
    expect((await deliver(app, body, 'not-the-secret')).status).toBe(401);
    expect(await events(objectId).count({ n: '*' })).toEqual([{ n: 0 }]);
  });

  it('acknowledges a batch while Redis is down; it is processed once Redis is back, without HubSpot', async () => {
    const proxy = await new TcpProxy(6379).start();
    const offline = await startTestApp({
      databaseUrl: app.config.DATABASE_URL,
      queuePrefix: app.config.QUEUE_PREFIX,
      env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}` },
    });
    try {
      await offline.request('/ready');
      await proxy.cut();
      const objectId = newContact();
      const response = await deliver(offline, [hubspotEvent({ objectId, propertyValue: 'Offline' })]);
      expect(response.status).toBe(200);
      expect(await events(objectId).first()).toMatchObject({ status: 'received' });
      // Redis returns; the sweeper finds the row (past its grace period) and the worker applies it.
      await proxy.restore();
      await app.deps
        .knex('hubspot_events')
        .where({ object_id: objectId })
        .update({ received_at: new Date(Date.now() - 120_000) });
      worker = await startTestWorker(app.config);
      await sweep(app.deps.knex, app.deps.dispatcher, sweepSources, app.deps.logger);
      await waitFor(
        () => events(objectId).first(),
        (row) => row?.status === 'processed',
      );
      expect((await contact(objectId)).properties.firstname.value).toBe('Offline');
    } finally {
      await offline.close();
      await proxy.stop();
    }
  });
});

describe('processing', () => {
  it('keeps the newest value per property whatever the order of delivery', async () => {
    const user = await createUser(app.deps.knex);
    const objectId = newContact();
    const t0 = Date.now() - 10_000;
    worker = await startTestWorker(app.config);
    // Linked by email first, then a change at t2, then an older one at t1 < t2.
    await deliver(app, [
      hubspotEvent({ objectId, occurredAt: t0, propertyName: 'email', propertyValue: user.email }),
    ]);
    await deliver(app, [
      hubspotEvent({ objectId, occurredAt: t0 + 2000, propertyName: 'firstname', propertyValue: 'Newest' }),
    ]);
    await waitFor(
      () => app.deps.knex('users').where({ id: user.id }).first(),
      (u) => u?.first_name === 'Newest',
    );
    await deliver(app, [
      hubspotEvent({ objectId, occurredAt: t0 + 1000, propertyName: 'firstname', propertyValue: 'Older' }),
    ]);
    await waitFor(
      async () => (await events(objectId).where({ status: 'processed' }).count({ n: '*' }))[0],
      (r) => r?.n === 3,
    );
    expect((await app.deps.knex('users').where({ id: user.id }).first()).first_name).toBe('Newest');
    expect((await contact(objectId)).properties.firstname).toEqual({
      value: 'Newest',
      occurred_at: t0 + 2000,
    });
    expect((await contact(objectId)).user_id).toBe(user.id);
  });

  it('applies a contact known before the user registers, when they register with its email', async () => {
    const objectId = newContact();
    const email = `hubspot-first-${randomUUID().slice(0, 8)}@example.com`;
    worker = await startTestWorker(app.config);
    await deliver(app, [
      hubspotEvent({ objectId, propertyName: 'email', propertyValue: email }),
      hubspotEvent({ objectId, propertyName: 'lastname', propertyValue: 'FromHubSpot' }),
    ]);
    await waitFor(
      async () => (await events(objectId).where({ status: 'processed' }).count({ n: '*' }))[0],
      (r) => r?.n === 2,
    );
    const sub = randomUUID();
    const created = await app.request(`/auth/users/${sub}`, {
      method: 'PUT',
      token: await tokenFor(sub),
      json: { email: email.toUpperCase(), first_name: 'Typed', timezone: 'UTC' },
    });
    expect(created.status).toBe(201);
    const profile = (await (
      await app.request(`/auth/users/${sub}`, { token: await tokenFor(sub) })
    ).json()) as Record<string, unknown>;
    expect(profile).toMatchObject({ first_name: 'Typed', last_name: 'FromHubSpot' });
    expect((await contact(objectId)).user_id).toBeTruthy();
  });

  it('deletion unlinks and erases what is kept of the contact; older events after it are ignored', async () => {
    const objectId = newContact();
    const t0 = Date.now() - 10_000;
    worker = await startTestWorker(app.config);
    await deliver(app, [
      hubspotEvent({ objectId, occurredAt: t0, propertyName: 'firstname', propertyValue: 'Gone' }),
    ]);
    await deliver(app, [
      hubspotEvent({
        objectId,
        occurredAt: t0 + 1000,
        subscriptionType: 'contact.privacyDeletion',
        propertyName: undefined,
        propertyValue: undefined,
      }),
    ]);
    await waitFor(
      () => contact(objectId),
      (c) => c?.deleted_at_ms === t0 + 1000,
    );
    await deliver(app, [
      hubspotEvent({ objectId, occurredAt: t0 + 500, propertyName: 'lastname', propertyValue: 'Late' }),
    ]);
    await waitFor(
      () => events(objectId).where({ property_name: 'lastname' }).first(),
      (e) => e?.status === 'ignored',
    );
    expect(await contact(objectId)).toMatchObject({ properties: {}, user_id: null });
    // Every event's values are erased: those stored before the deletion and the late one.
    const values = await events(objectId).select('property_name', 'property_value', 'payload');
    expect(values).toHaveLength(3);
    expect(values.filter((e: { property_name: string | null }) => e.property_name !== null)).toEqual([
      expect.objectContaining({ property_value: null, payload: { erased: true } }),
      expect.objectContaining({ property_value: null, payload: { erased: true } }),
    ]);
  });

  it('marks unknown event types ignored', async () => {
    const objectId = newContact();
    worker = await startTestWorker(app.config);
    await deliver(app, [hubspotEvent({ objectId, subscriptionType: 'deal.creation' })]);
    const event = await waitFor(
      () => events(objectId).first(),
      (e) => e?.status !== 'received',
    );
    expect(event).toMatchObject({ status: 'ignored', attempts: 1, last_error: null });
    expect(await contact(objectId)).toBeUndefined();
  });

  it('a delivery is one job; an event that fails does not hold back the others, and only it is retried', async () => {
    const owner = await createUser(app.deps.knex);
    const other = await createUser(app.deps.knex);
    const [linked, failing, plain] = [newContact(), newContact(), newContact()];
    await app.deps.knex('hubspot_contacts').insert({ contact_id: failing, user_id: owner.id });
    const batch = [
      hubspotEvent({ objectId: linked, propertyName: 'firstname', propertyValue: 'Ana' }),
      // The other user's address cannot become the owner's: this event fails.
      hubspotEvent({ objectId: failing, propertyName: 'email', propertyValue: other.email }),
      hubspotEvent({ objectId: plain, propertyName: 'lastname', propertyValue: 'Berg' }),
    ];
    expect((await deliver(app, batch)).status).toBe(200);
    const rows = (await app.deps
      .knex('hubspot_events')
      .whereIn('object_id', [linked, failing, plain])
      .select('id', 'object_id')) as Array<{ id: string; object_id: string }>;
    const idOf = (objectId: number) => rows.find((row) => Number(row.object_id) === objectId)!.id;

    const job = await app.deps.queues.of(hubspotEventsQueue).getJob(`process-hubspot-event-${idOf(linked)}`);
    expect(job?.data.rowIds).toEqual([idOf(linked), idOf(failing), idOf(plain)]);
    // The only job for these rows (other tests' jobs may still be queued: not counted).
    const queued = await app.deps.queues
      .of(hubspotEventsQueue)
      .getJobs(['waiting', 'delayed', 'prioritized']);
    const ours = new Set(rows.map((row) => row.id));
    expect(
      queued.filter((queuedJob) =>
        (queuedJob.data.rowIds ?? [queuedJob.data.rowId]).some((id: string) => ours.has(id)),
      ),
    ).toHaveLength(1);

    const context = workerContextFor(app);
    await expect(processHubspotEvent(fakeJob(idOf(linked), 0, 3, job!.data.rowIds), context)).rejects.toThrow(
      'belongs to another account',
    );
    const statuses = async () =>
      Object.fromEntries(
        (
          (await app.deps
            .knex('hubspot_events')
            .whereIn(
              'id',
              rows.map((row) => row.id),
            )
            .select('id', 'status', 'attempts')) as Array<{ id: string; status: string; attempts: number }>
        ).map((row) => [row.id, `${row.status}/${row.attempts}`]),
      );
    expect(await statuses()).toEqual({
      [idOf(linked)]: 'processed/1',
      [idOf(failing)]: 'received/1',
      [idOf(plain)]: 'processed/1',
    });
    // The last attempt redoes only the failed event, which ends failed; the others stay as they were.
    await expect(processHubspotEvent(fakeJob(idOf(linked), 2, 3, job!.data.rowIds), context)).rejects.toThrow(
      'belongs to another account',
    );
    expect(await statuses()).toEqual({
      [idOf(linked)]: 'processed/1',
      [idOf(failing)]: 'failed/3',
      [idOf(plain)]: 'processed/1',
    });
  });

  it('a failing event ends failed after its retries, is listed, and is processed by replay once fixed', async () => {
    const owner = await createUser(app.deps.knex);
    const other = await createUser(app.deps.knex);
    const objectId = newContact();
    await deliver(app, [
      hubspotEvent({
        objectId,
        occurredAt: Date.now() - 5000,
        propertyName: 'email',
        propertyValue: owner.email,
      }),
    ]);
    const [link] = await events(objectId).select('id');
    await processHubspotEvent(fakeJob(link.id), workerContextFor(app));
    // HubSpot says the contact's email is the other user's: it cannot apply while that user has it.
    await deliver(app, [hubspotEvent({ objectId, propertyName: 'email', propertyValue: other.email })]);
    const failing = await events(objectId).where({ property_value: other.email }).first();
    const context = workerContextFor(app);
    await expect(processHubspotEvent(fakeJob(failing.id, 0, 3), context)).rejects.toThrow(
      'belongs to another account',
    );
    expect(await events(objectId).where({ id: failing.id }).first()).toMatchObject({
      status: 'received',
      attempts: 1,
    });
    await expect(processHubspotEvent(fakeJob(failing.id, 2, 3), context)).rejects.toThrow(
      'belongs to another account',
    );
    expect(await events(objectId).where({ id: failing.id }).first()).toMatchObject({
      status: 'failed',
      attempts: 3,
    });

    const listed = (await (await internal('/internal/hubspot/events?status=failed')).json()) as {
      items: Array<{ id: string; last_error: string }>;
    };
    expect(listed.items.find((item) => item.id === failing.id)?.last_error).toContain(
      'belongs to another account',
    );

    // Fixed: the other user moves to another address. Replay applies it.
    await app.deps
      .knex('users')
      .where({ id: other.id })
      .update({ email: `moved-${other.email}` });
    worker = await startTestWorker(app.config);
    const replay = await internal(`/internal/hubspot/events/${failing.id}/replay`, { method: 'POST' });
    expect(replay.status).toBe(202);
    await waitFor(
      () => events(objectId).where({ id: failing.id }).first(),
      (e) => e?.status === 'processed',
    );
    expect((await app.deps.knex('users').where({ id: owner.id }).first()).email).toBe(other.email);
    expect((await internal(`/internal/hubspot/events/${failing.id}/replay`, { method: 'POST' })).status).toBe(
      409,
    );
    expect(
      (await internal(`/internal/hubspot/events/${randomUUID()}/replay`, { method: 'POST' })).status,
    ).toBe(404);
  });
});

describe('retention', () => {
  it('prunes processed and ignored events older than 30 days, keeps failed ones and recent ones', async () => {
    const objectId = newContact();
    await deliver(app, [
      hubspotEvent({ objectId, propertyName: 'a' }),
      hubspotEvent({ objectId, propertyName: 'b' }),
      hubspotEvent({ objectId, propertyName: 'c' }),
      hubspotEvent({ objectId, propertyName: 'd' }),
    ]);
    const old = new Date(Date.now() - 31 * 24 * 3600_000);
    await events(objectId).where({ property_name: 'a' }).update({ status: 'processed', received_at: old });
    await events(objectId).where({ property_name: 'b' }).update({ status: 'ignored', received_at: old });
    await events(objectId).where({ property_name: 'c' }).update({ status: 'failed', received_at: old });
    await events(objectId).where({ property_name: 'd' }).update({ status: 'processed' });
    expect(await pruneHubspotEvents(app.deps.knex)).toBeGreaterThanOrEqual(2);
    expect(
      (await events(objectId).select('property_name'))
        .map((e: { property_name: string }) => e.property_name)
        .sort(),
    ).toEqual(['c', 'd']);
  });
});

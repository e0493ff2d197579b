import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { UnrecoverableError } from 'bullmq';
import nock from 'nock';
import { eraseAccountJob } from '../../../src/accounts/jobs.js';
import { processHubspotEvent } from '../../../src/hubspot/process-event-job.js';
import { JarvisClient } from '../../../src/shared/clients/jarvis.js';
import { RESPONSE_CLASSES } from '../../../src/shared/clients/response-classes.js';
import { Metrics } from '../../../src/shared/metrics.js';
import { workerFeatures } from '../../../src/worker/features.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { createReminder, createUser } from '../../support/factories.js';
import { deliver, hubspotEvent, linkedContact } from '../../support/hubspot.js';
import { fakeJob, waitFor } from '../../support/jobs.js';
import { sample } from '../../support/metrics.js';
import { startTestWorker, sweepSources, workerContextFor } from '../../support/worker.js';

// The figures the alerts in ops/prometheus/alerts.yml page on, each moved by the event it
// counts, on the real registries of the API and the worker. OneSignal and Jarvis are nock'd.

const ONESIGNAL = 'https://onesignal.metrics.test';
const JARVIS = 'https://jarvis.metrics.test';

let app: TestApp;
let worker: Awaited<ReturnType<typeof startTestWorker>>;

beforeAll(async () => {
  app = await startTestApp({
    env: {
      ONESIGNAL_APP_ID: 'metrics-app',
      ONESIGNAL_REST_API_KEY: 'metrics-rest-key',
      ONESIGNAL_API_URL: ONESIGNAL,
      JARVIS_API_URL: JARVIS,
      JARVIS_API_KEY: 'metrics-jarvis-key',
    },
  });
  worker = await startTestWorker(app.config, [
    {
      job: eraseAccountJob,
      process: async (job) => {
        // The row id says how the attempt ends, for the exhausted-jobs case below.
        if (job.data.rowId.startsWith('00000000')) throw new UnrecoverableError('unrecoverable');
        if (job.attemptsMade === 0) throw new Error('the first attempt fails, the retry succeeds');
      },
    },
  ]);
});
afterEach(() => nock.cleanAll());
afterAll(async () => {
  await worker?.stop();
  await app?.close();
});

const scrape = async (metrics: Metrics) => (await metrics.render()).body;

describe('bullmq_jobs_exhausted_total', () => {
  it('counts a job that failed for good, not one whose retry succeeded', async () => {
    const exhausted = () =>
      scrape(worker.metrics).then(
        (text) =>
          sample(text, 'bullmq_jobs_exhausted_total', { queue: 'accounts', name: 'erase-account' }) ?? 0,
      );
    const before = await exhausted();
    await app.deps.dispatcher.dispatch([{ job: eraseAccountJob, rowId: randomUUID() }]);
    await waitFor(
      () => scrape(worker.metrics),
      (text) =>
        (sample(text, 'bullmq_jobs_total', {
          queue: 'accounts',
          name: 'erase-account',
          outcome: 'completed',
        }) ?? 0) >= 1,
    );
    expect(await exhausted()).toBe(before);

    await app.deps.dispatcher.dispatch([
      { job: eraseAccountJob, rowId: `00000000-${randomUUID().slice(9)}` },
    ]);
    expect(await waitFor(exhausted, (count) => count > before)).toBe(before + 1);
  });
});

describe('series that start at 0', () => {
  it('exist for every job and every upstream class before anything happened', async () => {
    // A counter that first appears at 1 reads as no increase to Prometheus: the first
    // exhausted job would not fire JobsFailingPermanently.
    const text = await scrape(worker.metrics);
    const missing = [
      ...workerFeatures.flatMap((feature) =>
        feature.processors
          .filter(
            ({ job }) =>
              sample(text, 'bullmq_jobs_exhausted_total', { queue: feature.queue.name, name: job.name }) ===
              undefined,
          )
          .map(({ job }) => job.name),
      ),
      ...['onesignal', 'jarvis'].flatMap((upstream) =>
        RESPONSE_CLASSES.filter(
          (responseClass) =>
            sample(text, 'upstream_responses_total', { upstream, class: responseClass }) === undefined,
        ).map((responseClass) => `${upstream} ${responseClass}`),
      ),
    ];
    expect(missing).toEqual([]);
    expect(
      sample(text, 'bullmq_jobs_exhausted_total', { queue: 'reminders', name: 'schedule-reminder' }),
    ).toBe(0);
  });
});

describe('upstream_responses_total', () => {
  it('counts OneSignal and Jarvis calls by how they ended', async () => {
    nock(ONESIGNAL)
      .post('/notifications')
      .reply(200, { id: 'os-1' })
      .post('/notifications')
      .reply(503, 'busy')
      .post('/notifications')
      .reply(400, { errors: ['bad'] });
    nock(JARVIS)
      .post(/change-dentist/)
      .reply(200, { ticket: { id: 't-1' } })
      .post(/change-dentist/)
      .reply(409, 'pending');
    const { onesignal, jarvis } = worker.context;
    const notification = {
      id: randomUUID(),
      externalId: randomUUID(),
      heading: 'h',
      message: 'm',
      sendAfter: new Date(),
      type: 'progress' as const,
    };
    const before = await scrape(worker.metrics);
    const count = (text: string, upstream: string, responseClass: string) =>
      sample(text, 'upstream_responses_total', { upstream, class: responseClass }) ?? 0;
    const outcomes = [];
    for (let call = 0; call < 3; call += 1)
      outcomes.push((await onesignal!.createNotification(notification)).kind);
    outcomes.push((await jarvis!.changeDentist('someone@example.com', 7)).kind);
    outcomes.push((await jarvis!.changeDentist('someone@example.com', 7)).kind);
    expect(outcomes).toEqual(['created', 'retryable', 'rejected', 'submitted', 'already_pending']);

    const after = await scrape(worker.metrics);
    const moved = (upstream: string, responseClass: string) =>
      count(after, upstream, responseClass) - count(before, upstream, responseClass);
    expect({
      onesignal: ['2xx', '4xx', '5xx'].map((c) => moved('onesignal', c)),
      jarvis: ['2xx', '4xx', '5xx'].map((c) => moved('jarvis', c)),
    }).toEqual({ onesignal: [1, 1, 1], jarvis: [1, 1, 0] });
  });

  it('tells a call that timed out from one that never connected', async () => {
    // A loopback server that accepts and never answers, and a port nobody listens on.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const classes: string[] = [];
    const client = (apiUrl: string) =>
      new JarvisClient({ apiUrl, apiKey: 'k', timeoutMs: 300, countResponse: (c) => classes.push(c) });
    try {
      const port = (silent.address() as AddressInfo).port;
      expect((await client(`http://127.0.0.1:${port}`).changeDentist('a@example.com', 1)).kind).toBe(
        'no_answer',
      );
      expect((await client(`http://127.0.0.1:${closedPort}`).changeDentist('a@example.com', 1)).kind).toBe(
        'retryable',
      );
      expect(classes).toEqual(['timeout', 'network_error']);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('hubspot_events_failed_total', () => {
  it('counts an event that failed on its last attempt, not on an earlier one', async () => {
    const context = { ...workerContextFor(app), metrics: new Metrics({ service: 'worker' }) };
    const failed = async () =>
      Number(/^hubspot_events_failed_total\{[^}]*\} (\S+)$/m.exec(await scrape(context.metrics))?.[1]);
    const user = await createUser(app.deps.knex);
    const objectId = await linkedContact(app, context, user.email);
    await deliver(app, [
      hubspotEvent({ objectId, propertyName: 'assigned_dentist', propertyValue: '987654321' }),
    ]);
    const event = await app.deps
      .knex('hubspot_events')
      .where({ object_id: objectId, property_name: 'assigned_dentist' })
      .first('id');
    // The contact is linked, the dentist unknown: the event fails on every attempt.
    await expect(processHubspotEvent(fakeJob(event.id, 0, 8), context)).rejects.toThrow();
    expect(await failed()).toBe(0);
    await expect(processHubspotEvent(fakeJob(event.id, 7, 8), context)).rejects.toThrow();
    expect(await failed()).toBe(1);
    expect((await app.deps.knex('hubspot_events').where({ id: event.id }).first('status')).status).toBe(
      'failed',
    );
  });
});

describe('readiness_check_ok', () => {
  it('reports each readiness check on the API and the worker', async () => {
    for (const [service, text] of [
      ['api', await (await app.request('/metrics')).text()],
      ['worker', await scrape(worker.metrics)],
    ] as const)
      for (const check of ['postgres', 'redis', 'migrations'])
        expect([service, check, sample(text, 'readiness_check_ok', { check, service })]).toEqual([
          service,
          check,
          1,
        ]);
  });
});

describe('sweep_backlog_oldest_age_seconds', () => {
  it('ages each kind from when its work became owed, and reads 0 for a kind with none', async () => {
    // One live progress reminder per user: three users.
    const [user, later, cancelling] = [
      await createUser(app.deps.knex),
      await createUser(app.deps.knex),
      await createUser(app.deps.knex),
    ];
    const hour = 3600_000;
    // Alone in a transaction rolled back at the end: the figures are these rows' alone.
    const trx = await app.deps.knex.transaction();
    try {
      await trx('reminders').del();
      await trx('hubspot_events').del();
      // Written 5 days ago for a change 29 days and 23 hours ahead: owed for an hour, since
      // OneSignal's 30-day window reached it (not for 5 days).
      await createReminder(trx, {
        user_id: user!.id,
        send_after: new Date(Date.now() + 30 * 24 * hour - hour),
        updated_at: new Date(Date.now() - 5 * 24 * hour),
      });
      // Far ahead, outside the window: not owed yet, so not counted.
      await createReminder(trx, {
        user_id: later!.id,
        send_after: new Date(Date.now() + 40 * 24 * hour),
        updated_at: new Date(Date.now() - 20 * 24 * hour),
      });
      // A cancellation asked for 10 minutes ago.
      await createReminder(trx, {
        user_id: cancelling!.id,
        status: 'cancel_requested',
        updated_at: new Date(Date.now() - 600_000),
      });
      const metrics = new Metrics({ service: 'worker', knex: trx, sweepSources });
      const text = await scrape(metrics);
      const age = (kind: string) => sample(text, 'sweep_backlog_oldest_age_seconds', { kind });
      expect(age('reminder_hand_over')).toBeGreaterThanOrEqual(3600);
      expect(age('reminder_hand_over')).toBeLessThan(3600 + 30);
      expect(age('reminder_cancel')).toBeGreaterThanOrEqual(600);
      expect(age('reminder_cancel')).toBeLessThan(600 + 30);
      expect(
        Object.fromEntries(sweepSources.map((source) => [source.kind, age(source.kind) !== undefined])),
      ).toEqual(Object.fromEntries(sweepSources.map((source) => [source.kind, true])));
      expect(age('hubspot_event')).toBe(0);
      expect(age('weekly_summary_hand_over')).toBe(0);
    } finally {
      await trx.rollback();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Metrics } from '../../../src/shared/metrics.js';
import { addDays, todayIn } from '../../../src/shared/time/local-time.js';
import { alertForSeconds, alertThreshold } from '../../support/alert-rules.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { waitFor } from '../../support/jobs.js';
import { sample } from '../../support/metrics.js';
import { call, newPatient } from '../../support/patients.js';
import { startTestRedisServer, type TestRedisServer } from '../../support/redis-server.js';
import { OneSignalStub } from '../../support/stubs/onesignal-stub.js';
import { startTestWorker, sweepSources } from '../../support/worker.js';

// The night the sweeper silently stopped: Redis restarts empty while a patient's plan is
// saved, and the one process that would have recovered the lost job (the worker's sweep)
// is not running. Nothing recovers the row, and the figures the alerts watch say so: the
// sweep's age and the backlog's grow past the thresholds in ops/prometheus/alerts.yml
// (read from the file). Once a sweeper runs again, both fall back and the reminder reaches
// OneSignal. The waiting is done by a scrape whose clock is moved past each alert's
// threshold and `for`, not by minutes of wall time.

let redis: TestRedisServer;
const onesignal = new OneSignalStub();
let app: TestApp;

beforeAll(async () => {
  redis = await startTestRedisServer();
  await onesignal.start();
  app = await startTestApp({
    env: {
      REDIS_URL: redis.url,
      ONESIGNAL_APP_ID: 'stopped-sweeper-app',
      ONESIGNAL_REST_API_KEY: 'stopped-sweeper-key',
      ONESIGNAL_API_URL: onesignal.url,
    },
  });
}, 60_000);

afterAll(async () => {
  await app?.close();
  await Promise.all([redis?.stop(), onesignal.stop()]);
});

const sweepAge = (text: string) => sample(text, 'maintenance_last_completed_age_seconds', { task: 'sweep' });
const backlogAge = (text: string) =>
  sample(text, 'sweep_backlog_oldest_age_seconds', { kind: 'reminder_hand_over' });

describe('the sweeper stops while Redis loses its data', () => {
  it('pushes the sweep age and the backlog past their alert thresholds, and back once a sweeper runs', async () => {
    const sweepLimit = alertThreshold('SweeperNotRunning');
    const backlogLimit = alertThreshold('ActionableBacklogOld');
    // Scrapes as Prometheus would make them once each alert's `for` has run out.
    const later = (seconds: number) => {
      const metrics = new Metrics({
        service: 'worker',
        knex: app.deps.knex,
        sweepSources,
        clock: () => Date.now() + seconds * 1000,
      });
      return metrics.render().then(({ body }) => body);
    };

    // A worker with its production clock: a sweep completes, the figure is fresh.
    const worker = await startTestWorker(app.config, [], { maintenanceTickMs: 5000 });
    const healthy = await waitFor(
      async () => (await worker.metrics.render()).body,
      (text) => (sweepAge(text) ?? Infinity) < 30,
      20_000,
      'a completed sweep',
    );
    expect(backlogAge(healthy)).toBe(0);
    // The same rows read through the API's registry: the API pages even with no worker up.
    expect(sweepAge(await (await app.request('/metrics')).text())).toBeLessThan(30);

    // The sweeper stops (the worker's jobs keep running); then Redis dies, a patient saves
    // a plan (acknowledged, its job not enqueued), and Redis comes back empty.
    await worker.maintenance!.stop();
    const port = redis.port;
    await redis.kill();
    const patient = await newPatient(app, { timezone: 'Europe/London' });
    const today = todayIn('Europe/London', new Date());
    const plan = await call(app, patient, 'PUT', '/treatment', {
      total_aligners: 20,
      current_aligner: 2,
      change_interval_days: 14,
      started_on: addDays(today, -20),
      current_aligner_started_on: addDays(today, -5),
    });
    expect(plan.status).toBe(201);
    redis = await startTestRedisServer({ port });
    await waitFor(
      () => worker.readiness.check(),
      (report) => report.ready,
      20_000,
      'worker ready again',
    );

    // Nothing recovers the row: its reminder stays pending, and the figures only grow.
    const first = await (await app.request('/metrics')).text();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const second = await (await worker.metrics.render()).body;
    expect(sweepAge(second)! - sweepAge(first)!).toBeGreaterThanOrEqual(1.5);
    expect(backlogAge(second)).toBeGreaterThanOrEqual(1.5);
    const pending = await app.deps.knex('reminders').where({ status: 'pending', type: 'progress' });
    expect(pending.filter((row) => row.user_id === patient.user.id)).toHaveLength(1);
    expect(onesignal.calls.filter((recorded) => recorded.method === 'POST')).toHaveLength(0);

    // Past each threshold and `for`, as Prometheus would scrape it then: both alerts fire.
    const stale = await later(
      Math.max(
        sweepLimit + alertForSeconds('SweeperNotRunning'),
        backlogLimit + alertForSeconds('ActionableBacklogOld'),
      ),
    );
    expect(sweepAge(stale)).toBeGreaterThan(sweepLimit);
    expect(backlogAge(stale)).toBeGreaterThan(backlogLimit);

    // A sweeper again (a worker restarted): the catch-up the API asked for recovers the
    // row at once, the reminder reaches OneSignal, and both figures fall back.
    await worker.stop();
    const restarted = await startTestWorker(app.config, [], { maintenanceTickMs: 5000 });
    try {
      await waitFor(
        () =>
          app.deps.knex('reminders').where({ user_id: patient.user.id, type: 'progress' }).first('status'),
        (row) => row?.status === 'scheduled',
        30_000,
        'the lost reminder scheduled',
      );
      const recovered = await (await restarted.metrics.render()).body;
      expect(sweepAge(recovered)).toBeLessThan(sweepLimit);
      expect(backlogAge(recovered)).toBe(0);
      expect(onesignal.calls.filter((recorded) => recorded.method === 'POST')).toHaveLength(1);
    } finally {
      await restarted.stop();
    }
  }, 120_000);
});

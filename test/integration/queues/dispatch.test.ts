import { accountsQueue, eraseAccountJob } from '../../../src/accounts/jobs.js';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Job } from 'bullmq';
import { commitThenDispatch } from '../../../src/shared/db/transaction.js';
import { createLogger } from '../../../src/shared/logger.js';
import { QUEUES } from '../../../src/queues.js';
import { Dispatcher } from '../../../src/shared/jobs/dispatcher.js';
import { Queues, jobIdFor, type JobData } from '../../../src/shared/jobs/queues.js';
import type { SweepSource } from '../../../src/shared/jobs/sweep-source.js';
import { createRedis } from '../../../src/shared/redis.js';
import { runWithContext } from '../../../src/shared/request-context.js';
import { waitFor } from '../../support/jobs.js';
import { claimRun, catchUpRequester, SWEEP_TASK } from '../../../src/shared/db/maintenance-runs.js';
import { sweep } from '../../../src/worker/maintenance/sweep.js';
import { assertComplete } from '../../../src/worker/runtime.js';
import { workerFeatures } from '../../../src/worker/features.js';
import { hubspotEventsQueue } from '../../../src/hubspot/jobs.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { createUser } from '../../support/factories.js';
import { LogCapture } from '../../support/logs.js';
import { TcpProxy } from '../../support/tcp-proxy.js';
import { startTestWorker } from '../../support/worker.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

// Any job serves here: these tests are about queue mechanics, not what the job does.
const sweepQueue = () => app.deps.queues.of(accountsQueue);

describe('enqueue after commit (docs/dispatch.md#jobs-after-commit)', () => {
  it('enqueues after the commit with a deterministic id and the request id', async () => {
    const rowId = randomUUID();
    await runWithContext({ requestId: 'req-commit-0001' }, () =>
      commitThenDispatch(app.deps.knex, app.deps.dispatcher, async (trx, jobs) => {
        await createUser(trx);
        jobs.push({ job: eraseAccountJob, rowId });
        // Inside the transaction nothing is queued yet.
        expect(await sweepQueue().getJob(jobIdFor(eraseAccountJob, rowId))).toBeUndefined();
      }),
    );
    const job = await sweepQueue().getJob(jobIdFor(eraseAccountJob, rowId));
    expect(job?.id).toBe(`erase-account-${rowId}`);
    expect(job?.data).toEqual({ rowId, requestId: 'req-commit-0001' });
  });

  it('enqueues nothing when the transaction rolls back', async () => {
    const rowId = randomUUID();
    await expect(
      commitThenDispatch(app.deps.knex, app.deps.dispatcher, async (_trx, jobs) => {
        jobs.push({ job: eraseAccountJob, rowId });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await sweepQueue().getJob(jobIdFor(eraseAccountJob, rowId))).toBeUndefined();
  });

  it('keeps one job when the same row is dispatched twice', async () => {
    const rowId = randomUUID();
    const before = await sweepQueue().count();
    await app.deps.dispatcher.dispatch([{ job: eraseAccountJob, rowId }]);
    await app.deps.dispatcher.dispatch([{ job: eraseAccountJob, rowId }]);
    expect(await sweepQueue().count()).toBe(before + 1);
  });

  it('asks again for a catch-up when an enqueue fails just after a catch-up sweep began', async () => {
    // A sweep claimed between two failures a few hundred ms apart has not seen the second
    // failure's row: that failure must ask once more, not be swallowed by the throttle.
    const ask = catchUpRequester(app.deps.knex, (error) => {
      throw error;
    });
    const claim = () => claimRun(app.deps.knex, SWEEP_TASK, 3600_000, 'dispatch-test');
    ask();
    await waitFor(claim, (claimed) => claimed?.catchUp === true, 5000, 'the first catch-up claimed');
    await new Promise((resolve) => setTimeout(resolve, 100));
    ask();
    expect(await claim()).toBeUndefined(); // within the second: not asked yet
    expect(await waitFor(claim, (claimed) => claimed !== undefined, 3000, 'the trailing catch-up')).toEqual({
      catchUp: true,
    });
  });

  it('never throws when Redis is away, asks for a catch-up sweep, and the sweeper enqueues the row once it is back', async () => {
    const proxy = await new TcpProxy(6379).start();
    const redis = createRedis({ REDIS_URL: `redis://127.0.0.1:${proxy.port}` }, 'producer');
    const queues = new Queues(QUEUES, redis, app.config.QUEUE_PREFIX);
    const logs = new LogCapture();
    const dispatcher = new Dispatcher(
      queues,
      createLogger(app.config, { name: 'api', destination: logs }),
      catchUpRequester(app.deps.knex, (error) => {
        throw error;
      }),
    );
    try {
      await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
      await proxy.cut();
      const rowId = randomUUID();
      const started = Date.now();
      await dispatcher.dispatch([{ job: eraseAccountJob, rowId }]);
      expect(Date.now() - started).toBeLessThan(1000); // fail fast: the request is not held up
      expect(logs.text()).toContain('the sweeper will enqueue this row later');
      expect(await sweepQueue().getJob(jobIdFor(eraseAccountJob, rowId))).toBeUndefined();
      // The workers' next look sweeps every actionable row, not only those a minute old.
      await waitFor(
        () => app.deps.knex('maintenance_runs').where({ task: SWEEP_TASK }).first('catch_up_requested_at'),
        (row) => row?.catch_up_requested_at instanceof Date,
        5000,
        'catch-up asked for',
      );
      expect(await claimRun(app.deps.knex, SWEEP_TASK, 3600_000, 'dispatch-test')).toEqual({ catchUp: true });
      expect(await claimRun(app.deps.knex, SWEEP_TASK, 3600_000, 'dispatch-test')).toBeUndefined();

      await proxy.restore();
      const source: Pick<SweepSource, 'job' | 'findActionable'> = {
        job: eraseAccountJob,
        findActionable: async () => [{ rowId, cursor: rowId }],
      };
      await sweep(app.deps.knex, app.deps.dispatcher, [source], app.deps.logger);
      expect(await sweepQueue().getJob(jobIdFor(eraseAccountJob, rowId))).toBeDefined();
    } finally {
      await queues.close();
      redis.disconnect();
      await proxy.stop();
    }
  });
});

describe('sweeper', () => {
  it('re-enqueues each actionable row once, however often it runs', async () => {
    const rows = [randomUUID(), randomUUID(), randomUUID()];
    const source: Pick<SweepSource, 'job' | 'findActionable'> = {
      job: eraseAccountJob,
      findActionable: async (_knex, { limit }) =>
        rows.slice(0, limit).map((rowId) => ({ rowId, cursor: rowId })),
    };
    const before = await sweepQueue().count();
    expect(await sweep(app.deps.knex, app.deps.dispatcher, [source], app.deps.logger)).toBe(3);
    await sweep(app.deps.knex, app.deps.dispatcher, [source], app.deps.logger);
    expect(await sweepQueue().count()).toBe(before + 3);
  });
});

describe('worker runtime', () => {
  it('refuses to start when a job has no processor, or a queue no feature', () => {
    expect(() => assertComplete(workerFeatures)).not.toThrow();
    const withoutHubspotProcessor = workerFeatures.map((feature) =>
      feature.queue === hubspotEventsQueue ? { ...feature, processors: [] } : feature,
    );
    expect(() => assertComplete(withoutHubspotProcessor)).toThrow(
      'no processor for job process-hubspot-event',
    );
    expect(() => assertComplete(workerFeatures.filter((feature) => feature.queue !== accountsQueue))).toThrow(
      'no worker feature for queue accounts',
    );
  });

  it('runs jobs with the request id of the request that enqueued them', async () => {
    const seen: Array<{ rowId: string; requestId: string | undefined }> = [];
    const { currentContext } = await import('../../../src/shared/request-context.js');
    const worker = await startTestWorker(app.config, [
      {
        job: eraseAccountJob,

        process: async (job: Job<JobData>) => {
          seen.push({ rowId: job.data.rowId, requestId: currentContext()?.requestId });
        },
      },
    ]);
    try {
      const rowId = randomUUID();
      await runWithContext({ requestId: 'req-carried-01' }, () =>
        app.deps.dispatcher.dispatch([{ job: eraseAccountJob, rowId }]),
      );
      await waitFor(
        async () => seen,
        (entries) => entries.some((entry) => entry.rowId === rowId),
        10000,
      );
      expect(seen).toContainEqual({ rowId, requestId: 'req-carried-01' });
    } finally {
      await worker.stop();
    }
  });

  it('finishes an active job before stopping', async () => {
    let finished = false;
    let startedResolve: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (startedResolve = resolve));
    const worker = await startTestWorker(app.config, [
      {
        job: eraseAccountJob,

        process: async () => {
          startedResolve();
          // A deliberately slow job (fixed): the stop must wait these 1.5 s out.
          await new Promise((resolve) => setTimeout(resolve, 1500));
          finished = true;
        },
      },
    ]);
    await app.deps.dispatcher.dispatch([{ job: eraseAccountJob, rowId: randomUUID() }]);
    await started;
    await worker.stop(8000);
    expect(finished).toBe(true);
  });
});

describe('worker stop with a job that never finishes', () => {
  it('returns once its grace has passed, without waiting for the job', async () => {
    let startedResolve: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (startedResolve = resolve));
    const worker = await startTestWorker(app.config, [
      {
        job: eraseAccountJob,

        process: async () => {
          startedResolve();
          await new Promise(() => undefined);
        },
      },
    ]);
    await app.deps.dispatcher.dispatch([{ job: eraseAccountJob, rowId: randomUUID() }]);
    await started;
    const stopping = Date.now();
    await worker.stop(500);
    expect(Date.now() - stopping).toBeLessThan(3000);
    expect(worker.logs.text()).toContain('active jobs did not finish in time');
  });
});

describe('sweeper and finished jobs', () => {
  it('re-enqueues a row whose job failed without updating it (a crash on the last attempt)', async () => {
    const rowId = randomUUID();
    const queue = app.deps.queues.of(accountsQueue);
    await queue.add('erase-account', { rowId }, { jobId: jobIdFor(eraseAccountJob, rowId), attempts: 1 });
    const worker = await startTestWorker(app.config, [
      {
        job: eraseAccountJob,

        process: async () => {
          throw new Error('crashed');
        },
      },
    ]);
    await waitFor(
      async () => (await queue.getJob(jobIdFor(eraseAccountJob, rowId)))?.isFailed(),
      (failed) => failed === true,
      10000,
    );
    await worker.stop();
    const source: Pick<SweepSource, 'job' | 'findActionable'> = {
      job: eraseAccountJob,
      findActionable: async () => [{ rowId, cursor: rowId }],
    };
    await sweep(app.deps.knex, app.deps.dispatcher, [source], app.deps.logger);
    expect(await (await queue.getJob(jobIdFor(eraseAccountJob, rowId)))?.getState()).toBe('waiting');
  });
});

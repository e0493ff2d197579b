/**
 * Issue 4's benchmark: reminder schedule jobs per second through the real worker process
 * against a loopback OneSignal stub, beside a no-op BullMQ worker (the queue ceiling)
 * in the same run. Each run enqueues N jobs at once into idle workers and times how long
 * until every one is done; runs are interleaved (baseline, reminders, baseline, …) and
 * the medians compared. Usage: `npm run bench:jobs` [-- --jobs 4000 --runs 3].
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { createKnex, type Knex } from '../src/shared/db/knex.js';
import { migrateToLatest } from '../src/shared/db/migrations.js';
import { createLogger } from '../src/shared/logger.js';
import { Dispatcher, closeQueues, createQueues } from '../src/shared/queues.js';
import { createRedis } from '../src/shared/redis.js';
import { OneSignalStub } from '../test/support/stubs/onesignal-stub.js';
import { describeMachine, formatMachine } from './lib/machine.js';
import { numberArgument, recreateDatabase, serviceEnv } from './lib/standalone.js';
import { ManagedProcess, freePort, tsxCommand } from './lib/processes.js';
import { median } from './lib/results.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const JOBS = numberArgument('jobs', 4000);
const RUNS = Math.max(3, numberArgument('runs', 3));
const postgresUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const databaseUrl = `${postgresUrl}/aligner_bench_jobs`;
const resultsDir = path.join(root, 'bench/results');
const logger = createLogger(
  { LOG_LEVEL: 'warn', LOG_FORMAT: 'json', LOG_REDACT_SENSITIVE: true },
  { name: 'bench' },
);

/** Inserts in batches of 1,000 (one statement each) and returns the new ids in order. */
async function insertReturningIds(knex: Knex, table: string, rows: object[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < rows.length; i += 1000) {
    const inserted = (await knex(table)
      .insert(rows.slice(i, i + 1000))
      .returning('id')) as Array<{ id: string }>;
    ids.push(...inserted.map((row) => row.id));
  }
  return ids;
}

async function count(query: Knex.QueryBuilder): Promise<number> {
  const [row] = (await query.count({ n: '*' })) as Array<{ n: number }>;
  return row?.n ?? 0;
}

async function until(done: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the jobs to finish');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function main(): Promise<void> {
  await recreateDatabase(postgresUrl, 'aligner_bench_jobs');
  const knex = createKnex(databaseUrl, { max: 4 });
  await migrateToLatest(knex, logger);
  const stub = await new OneSignalStub().start();
  const redis = createRedis(redisUrl, 'worker');
  const prefix = `bench-jobs-${randomUUID().slice(0, 8)}`;
  const queues = createQueues(redis, prefix);
  const dispatcher = new Dispatcher(queues, logger);
  const noopQueue = new Queue('noop', { connection: redis, prefix: `${prefix}-noop` });

  const env = serviceEnv({
    databaseUrl,
    redisUrl,
    queuePrefix: prefix,
    workerPort: await freePort(),
    extra: {
      ONESIGNAL_APP_ID: 'bench-app',
      ONESIGNAL_REST_API_KEY: 'bench-key',
      ONESIGNAL_API_URL: stub.url,
    },
  });
  const worker = new ManagedProcess(
    'worker',
    process.execPath,
    [path.join(root, 'dist/worker/main.js')],
    env,
    path.join(resultsDir, 'logs/worker-jobs.log'),
  );
  const noop = tsxCommand(path.join(root, 'bench/noop-worker.ts'));
  let noopReady: () => void = () => undefined;
  const noopStarted = new Promise<void>((resolve) => (noopReady = resolve));
  const noopWorker = new ManagedProcess(
    'noop-worker',
    noop.command,
    noop.args,
    { ...env, QUEUE_PREFIX: `${prefix}-noop` },
    path.join(resultsDir, 'logs/noop-worker.log'),
    (line) => {
      if (line.includes('noop worker ready')) noopReady();
    },
  );
  await noopStarted;
  await until(async () => {
    const response = await fetch(`http://127.0.0.1:${env.WORKER_PORT}/ready`).catch(() => undefined);
    return response?.status === 200;
  });

  const baselineRates: number[] = [];
  const reminderRates: number[] = [];
  for (let run = 0; run <= RUNS; run += 1) {
    // Run 0 is the warm-up of both, not counted.
    let started = Date.now();
    await noopQueue.addBulk(
      Array.from({ length: JOBS }, (_, i) => ({
        name: 'noop',
        data: { i },
        opts: { removeOnComplete: true },
      })),
    );
    await until(async () => {
      const counts = await noopQueue.getJobCounts('waiting', 'active');
      return (counts.waiting ?? 0) + (counts.active ?? 0) === 0;
    });
    const baseline = JOBS / ((Date.now() - started) / 1000);

    const users = Array.from({ length: JOBS }, () => ({
      cognito_sub: randomUUID(),
      email: `${randomUUID()}@bench.example`,
      timezone: 'Europe/London',
    }));
    const userIds = await insertReturningIds(knex, 'users', users);
    const sendAfter = new Date(Date.now() + 3600_000);
    const reminders = await insertReturningIds(
      knex,
      'reminders',
      userIds.map((id) => ({ user_id: id, type: 'progress', send_after: sendAfter, aligner_number: 2 })),
    );
    started = Date.now();
    await dispatcher.dispatch(reminders.map((id) => ({ job: 'scheduleReminder', rowId: id })));
    await until(async () => (await count(knex('reminders').where({ status: 'pending' }))) === 0);
    const rate = JOBS / ((Date.now() - started) / 1000);
    const scheduled = await count(knex('reminders').whereIn('id', reminders).where({ status: 'scheduled' }));
    if (scheduled !== JOBS) throw new Error(`only ${scheduled} of ${JOBS} reminders ended scheduled`);
    if (run > 0) {
      baselineRates.push(baseline);
      reminderRates.push(rate);
    }
    console.log(
      `${run === 0 ? 'warm-up' : `run ${run}`}: no-op ${baseline.toFixed(0)} jobs/s, schedule-reminder ${rate.toFixed(0)} jobs/s`,
    );
  }

  const summary = {
    date: new Date().toISOString(),
    machine: await describeMachine(databaseUrl, redisUrl),
    jobs_per_run: JOBS,
    runs: RUNS,
    noop_jobs_per_second: { runs: baselineRates, median: median(baselineRates) },
    schedule_reminder_jobs_per_second: { runs: reminderRates, median: median(reminderRates) },
    ratio_to_noop: median(reminderRates)! / median(baselineRates)!,
    onesignal_calls: stub.creates().length,
    target: { min_ratio: 0.1, note: 'issue 10: ≥ 10 % of the no-op job throughput' },
  };
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(path.join(resultsDir, 'reminder-jobs.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`\n${formatMachine(summary.machine)}`);
  console.log(
    `median no-op ${summary.noop_jobs_per_second.median!.toFixed(0)} jobs/s, schedule-reminder ${summary.schedule_reminder_jobs_per_second.median!.toFixed(0)} jobs/s, ratio ${(summary.ratio_to_noop * 100).toFixed(1)} % (target ≥ 10 %: ${summary.ratio_to_noop >= 0.1 ? 'pass' : 'short'})`,
  );

  await Promise.all([worker.stop(), noopWorker.stop()]);
  await noopQueue.obliterate({ force: true });
  await noopQueue.close();
  for (const queue of Object.values(queues)) await queue.obliterate({ force: true }).catch(() => undefined);
  await closeQueues(queues);
  redis.disconnect();
  await stub.stop();
  await knex.destroy();
}

await main();

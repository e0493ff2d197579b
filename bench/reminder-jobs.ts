/**
 * Issue 4's benchmark, a phase of `npm run bench` (`--only reminder-jobs`): reminder
 * schedule jobs per second through the real worker process (dist/worker/main.js) against
 * a loopback OneSignal stub, beside a no-op BullMQ worker (the queue ceiling) in the same
 * round. Each round enqueues `jobs` jobs at once into idle workers and times how long
 * until every one is done: first the no-op worker's, then the reminders'. Round 0 is the
 * warm-up; the medians of the others are compared. The worker's resident memory is read
 * after the last round.
 */
import { scheduleReminderJob } from '../src/reminders/jobs.js';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Queue } from 'bullmq';
import { createKnex, type Knex } from '../src/shared/db/knex.js';
import { migrateToLatest } from '../src/shared/db/migrations.js';
import { createLogger } from '../src/shared/logger.js';
import { QUEUES } from '../src/queues.js';
import { Dispatcher } from '../src/shared/jobs/dispatcher.js';
import { Queues } from '../src/shared/jobs/queues.js';
import { createRedis } from '../src/shared/redis.js';
import { OneSignalStub } from '../test/support/stubs/onesignal-stub.js';
import { noiseWarnings, type BenchContext, type RunHealth } from './lib/context.js';
import { CpuWindow, residentMiB } from './lib/cpu.js';
import { ManagedProcess, tsxCommand } from './lib/processes.js';
import { formatCores, healthText, median } from './lib/results.js';
import { backendPids, obliterateQueues, recreateDatabase } from './lib/stores.js';
import { baseEnv, startWorker, type RunningServer } from './servers.js';

export const REMINDER_JOBS = 'reminder-jobs';
/** Issue 10: schedule jobs at ≥ 10 % of the no-op job throughput. */
export const REMINDER_JOBS_MIN_RATIO = 0.1;

export interface JobsRound extends RunHealth {
  index: number;
  warmup: boolean;
  startedAt: string;
  noopJobsPerSec: number | null;
  reminderJobsPerSec: number | null;
  /** The worker's resident memory after the round. */
  workerRssMiB?: number;
}

export interface ReminderJobsResult {
  name: typeof REMINDER_JOBS;
  status: 'ok' | 'invalid';
  jobsPerRound: number;
  rounds: JobsRound[];
  validRuns: number;
  measuredRuns: number;
  noisyRuns: number;
  medianNoopJobsPerSec: number | null;
  medianReminderJobsPerSec: number | null;
  ratioToNoop: number | null;
  /** The worker's resident memory after the last round, and the largest after any round. */
  workerRssMiB: number | null;
  workerPeakRssMiB: number | null;
  onesignalCalls: number;
  /** Why the phase as a whole failed, if it did. */
  problems: string[];
}

/** Step ids and estimated durations, for the time plan (Schedule). */
export function reminderJobsSteps(runs: number, jobs: number): Array<[string, number]> {
  // ~4 s to create, migrate and start; a round at ~500 jobs/s, plus inserting its rows and the no-op drain.
  const roundMs = 3000 + (jobs / 500) * 1000;
  return [
    [`${REMINDER_JOBS}:setup`, 6000],
    ...Array.from({ length: runs + 1 }, (_, index): [string, number] => [
      `${REMINDER_JOBS}:${index}`,
      roundMs,
    ]),
  ];
}

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
  const [row] = (await query.count({ n: '*' })) as Array<{ n: number | string }>;
  return Number(row?.n ?? 0);
}

async function until(what: string, done: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function emptyResult(jobs: number): ReminderJobsResult {
  return {
    name: REMINDER_JOBS,
    status: 'invalid',
    jobsPerRound: jobs,
    rounds: [],
    validRuns: 0,
    measuredRuns: 0,
    noisyRuns: 0,
    medianNoopJobsPerSec: null,
    medianReminderJobsPerSec: null,
    ratioToNoop: null,
    workerRssMiB: null,
    workerPeakRssMiB: null,
    onesignalCalls: 0,
    problems: [],
  };
}

export async function runReminderJobs(context: BenchContext, jobs: number): Promise<ReminderJobsResult> {
  const result = emptyResult(jobs);
  const name = `${context.database}_jobs`;
  const databaseUrl = `${context.postgresServerUrl}/${name}`;
  const logger = createLogger(
    { LOG_LEVEL: 'warn', LOG_FORMAT: 'json', LOG_REDACT_SENSITIVE: true },
    { name: 'bench' },
  );
  const cleanup: Array<() => Promise<unknown>> = [];
  try {
    const setup = await context.schedule.start(`${REMINDER_JOBS}:setup`, { wait: false });
    if (!setup.ok) throw new Error(setup.reason);
    await recreateDatabase(context.postgresServerUrl, name);
    await obliterateQueues(context.redisUrl, name);
    const knex = createKnex(databaseUrl, { max: 4 });
    cleanup.push(() => knex.destroy());
    await migrateToLatest(knex, logger);
    const stub = await new OneSignalStub().start();
    cleanup.push(() => stub.stop());
    const redis = createRedis({ REDIS_URL: context.redisUrl }, 'worker');
    const queues = new Queues(QUEUES, redis, name);
    const noopQueue = new Queue('noop', { connection: redis, prefix: `${name}_noop` });
    cleanup.push(async () => {
      await noopQueue.obliterate({ force: true }).catch(() => undefined);
      await noopQueue.close();
      await queues.close();
      redis.disconnect();
      await obliterateQueues(context.redisUrl, name);
    });
    const dispatcher = new Dispatcher(queues, logger);

    const worker: RunningServer = await startWorker({
      root: context.root,
      cpuProfileDir: context.cpuProfileDir,
      logFile: `${context.logsDir}/worker-jobs.log`,
      databaseUrl,
      redisUrl: context.redisUrl,
      queuePrefix: name,
      env: {
        ONESIGNAL_APP_ID: 'bench-app',
        ONESIGNAL_REST_API_KEY: 'bench-key',
        ONESIGNAL_API_URL: stub.url,
      },
    });
    cleanup.push(() => worker.process.stop());
    const noop = tsxCommand(`${context.root}/bench/noop-worker.ts`);
    let noopReady: () => void = () => undefined;
    const noopStarted = new Promise<void>((resolve) => (noopReady = resolve));
    const noopWorker = new ManagedProcess(
      'noop-worker',
      noop.command,
      noop.args,
      { ...baseEnv(), REDIS_URL: context.redisUrl, QUEUE_PREFIX: `${name}_noop` },
      `${context.logsDir}/noop-worker.log`,
      (line) => {
        if (line.includes('noop worker ready')) noopReady();
      },
    );
    cleanup.push(() => noopWorker.stop());
    await Promise.race([
      noopStarted,
      noopWorker.exited.then(() => Promise.reject(new Error(`noop worker exited:\n${noopWorker.logTail()}`))),
    ]);

    const groups = {
      worker: () => [worker.process.pid],
      noop: () => [noopWorker.pid],
      runner: () => [process.pid],
      postgres: () => backendPids(context.monitor, name),
      ...(context.redisPid === undefined ? {} : { redis: () => [context.redisPid!] }),
    };
    for (let index = 0; index <= context.runs; index += 1) {
      const warmup = index === 0;
      const round: JobsRound = {
        index,
        warmup,
        startedAt: new Date().toISOString(),
        noopJobsPerSec: null,
        reminderJobsPerSec: null,
        problems: [],
        warnings: [],
      };
      result.rounds.push(round);
      const start = await context.schedule.start(`${REMINDER_JOBS}:${index}`, { wait: !warmup });
      if (!start.ok) {
        round.problems.push(start.reason);
        continue;
      }
      round.backgroundCoresBefore = start.backgroundCores;
      const cpu = await CpuWindow.start(groups);
      try {
        let started = performance.now();
        await noopQueue.addBulk(
          Array.from({ length: jobs }, (_, i) => ({
            name: 'noop',
            data: { i },
            opts: { removeOnComplete: true },
          })),
        );
        await until('the no-op jobs', async () => {
          const counts = await noopQueue.getJobCounts('waiting', 'active');
          return (counts.waiting ?? 0) + (counts.active ?? 0) === 0;
        });
        round.noopJobsPerSec = jobs / ((performance.now() - started) / 1000);

        const users = Array.from({ length: jobs }, () => ({
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
        started = performance.now();
        await dispatcher.dispatch(reminders.map((id) => ({ job: scheduleReminderJob, rowId: id })));
        await until(
          'the reminder jobs',
          async () => (await count(knex('reminders').where({ status: 'pending' }))) === 0,
        );
        round.reminderJobsPerSec = jobs / ((performance.now() - started) / 1000);
        const scheduled = await count(
          knex('reminders').whereIn('id', reminders).where({ status: 'scheduled' }),
        );
        if (scheduled !== jobs) round.problems.push(`only ${scheduled} of ${jobs} reminders ended scheduled`);
      } catch (error) {
        round.problems.push((error as Error).message);
      }
      const reading = await cpu.stop();
      round.cpuCores = reading.cores;
      round.warnings.push(...noiseWarnings(reading.cores.other, context.schedule.quietCores));
      round.workerRssMiB = residentMiB(worker.process.pid);
      if (!worker.process.running) round.problems.push(`worker died:\n${worker.process.logTail()}`);
      console.log(roundLine(round));
      if (!worker.process.running) break;
    }
    result.workerRssMiB = residentMiB(worker.process.pid) ?? null;
    const readings = result.rounds.flatMap((round) => round.workerRssMiB ?? []);
    result.workerPeakRssMiB = readings.length > 0 ? Math.max(...readings) : null;
    result.onesignalCalls = stub.creates().length;
  } catch (error) {
    result.problems.push((error as Error).message);
    console.error(`  ${REMINDER_JOBS} failed: ${(error as Error).message}`);
  } finally {
    context.schedule.cancel(`${REMINDER_JOBS}:`);
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  }
  summarise(result, context.runs);
  writeFileSync(`${context.resultsDir}/${REMINDER_JOBS}.json`, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

function summarise(result: ReminderJobsResult, runs: number): void {
  const measured = result.rounds.filter((round) => !round.warmup);
  const valid = measured.filter((round) => round.problems.length === 0);
  result.measuredRuns = measured.length;
  result.validRuns = valid.length;
  result.noisyRuns = measured.filter((round) => round.warnings.length > 0).length;
  result.medianNoopJobsPerSec = median(valid.map((round) => round.noopJobsPerSec!));
  result.medianReminderJobsPerSec = median(valid.map((round) => round.reminderJobsPerSec!));
  result.ratioToNoop =
    result.medianNoopJobsPerSec && result.medianReminderJobsPerSec !== null
      ? result.medianReminderJobsPerSec / result.medianNoopJobsPerSec
      : null;
  result.status =
    result.problems.length === 0 && measured.length === runs && valid.length === runs ? 'ok' : 'invalid';
}

function roundLine(round: JobsRound): string {
  const rate = (value: number | null) => (value === null ? '—' : value.toFixed(0));
  return (
    `  ${REMINDER_JOBS} ${round.warmup ? 'warm-up' : `run ${round.index}`}: no-op ${rate(round.noopJobsPerSec)} jobs/s, ` +
    `schedule-reminder ${rate(round.reminderJobsPerSec)} jobs/s${formatCores(round.cpuCores)}${healthText(round)}`
  );
}

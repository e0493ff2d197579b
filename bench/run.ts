/**
 * `npm run bench`: every benchmark in one invocation, within `--max-minutes`, in production configuration.
 *
 * 1. Builds the API and worker (`npm run build`).
 * 2. HTTP benchmarks (benchmarks.ts): recreates and seeds the bench database, starts the
 *    API and the bare-Koa baseline (each its own process), and measures each benchmark
 *    with autocannon in a separate load process: one warm-up, then `--runs` measured runs
 *    of `--duration` seconds, interleaved (run 1 of every benchmark, then run 2, …) so a
 *    slow patch of the machine hits every benchmark alike and ratios to the baseline hold.
 *    The API's resident memory is read after its last run.
 * 3. Reminder schedule jobs against a no-op BullMQ worker (reminder-jobs.ts).
 * 4. HubSpot acknowledgement → user row updated at 200 events/s (hubspot-latency.ts).
 * 5. One table of the targets (issues 10 and 17): measured, target, pass/short (informational).
 *
 * Writes bench/results/<name>.json, summary.json and summary.md. Exits 1 when a run was
 * invalid (errors, non-2xx responses, jobs not done, a step not run in time).
 *
 *   npm run bench -- [--only a,b] [--runs 3] [--duration 10] [--warmup 5] [--users 10000]
 *                    [--days 90] [--sessions-per-day 1.13] [--seed 1] [--skip-seed] [--no-build] …
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { BASELINE, benchmarks, type Benchmark } from './benchmarks.js';
import {
  HUBSPOT_E2E,
  hubspotE2eSteps,
  runHubspotE2e,
  type HubspotE2eOptions,
  type HubspotE2eResult,
} from './hubspot-latency.js';
import { noiseWarnings, type BenchContext } from './lib/context.js';
import { CpuWindow, residentMiB } from './lib/cpu.js';
import { describeMachine, formatMachine } from './lib/machine.js';
import { runLoad } from './lib/load.js';
import { ManagedProcess } from './lib/processes.js';
import { seededRandom, seededUuid } from './lib/random.js';
import {
  failedRun,
  runLine,
  summarise,
  summaryTable,
  toRunResult,
  type RunResult,
  type Summary,
} from './lib/results.js';
import { Schedule } from './lib/schedule.js';
import { backendPids, obliterateQueues, recreateDatabase, redisPid } from './lib/stores.js';
import { targetRows, targetTable, type MemoryReading } from './lib/targets.js';
import {
  REMINDER_JOBS,
  reminderJobsSteps,
  runReminderJobs,
  type ReminderJobsResult,
} from './reminder-jobs.js';
import type { BenchUser, LoadSpec } from './request-plans.js';
import { BENCH_ZONES, DEFAULT_SEED_OPTIONS, loadBenchUsers, seedDatabase } from './seed.js';
import { servers, isApi, type HttpServerOptions, type RunningServer, type ServerName } from './servers.js';
import { OtlpSink } from './lib/otlp-sink.js';
import { tracingCostTable } from './lib/tracing-cost.js';

const tracedTwin = (name: string) => benchmarks.find((b) => b.name === name)?.tracingOf;

const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const RESULTS_DIR = `${ROOT}/bench/results`;
/** Per HTTP run, besides its duration: the load process's start-up and tokens, the settle pause. */
const HTTP_RUN_OVERHEAD_MS = 4000;
/** What `--only` accepts besides the HTTP benchmarks' names. */
const PHASES = [REMINDER_JOBS, HUBSPOT_E2E] as const;

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    runs: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '5' },
    users: { type: 'string', default: String(DEFAULT_SEED_OPTIONS.users) },
    days: { type: 'string', default: String(DEFAULT_SEED_OPTIONS.days) },
    'sessions-per-day': { type: 'string', default: String(DEFAULT_SEED_OPTIONS.sessionsPerDay) },
    seed: { type: 'string', default: String(DEFAULT_SEED_OPTIONS.seed) },
    'skip-seed': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    database: { type: 'string', default: 'aligner_bench' },
    'baseline-body-bytes': { type: 'string', default: '360' },
    jobs: { type: 'string', default: '4000' },
    'e2e-rate': { type: 'string', default: '200' },
    'e2e-seconds': { type: 'string', default: '20' },
    'max-minutes': { type: 'string', default: '18' },
    'quiet-cores': { type: 'string', default: '0.3' },
    'quiet-wait': { type: 'string', default: '20' },
    'cpu-prof': { type: 'boolean', default: false },
  },
});

const positive = (name: string, value: string | undefined, min = 1): number => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min) throw new Error(`--${name} must be a number ≥ ${min}`);
  return parsed;
};

/** When the process started (node's clock origin), so the wall time includes tsx's start-up. */
const STARTED_AT = Math.round(performance.timeOrigin);

const minutes = (seconds: number) => `${Math.floor(seconds / 60)} min ${Math.floor(seconds % 60)} s`;

/** A progress line, stamped with the time since the start (m:ss). */
function say(message: string): void {
  const seconds = Math.floor((Date.now() - STARTED_AT) / 1000);
  console.log(`[${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}] ${message}`);
}

const options = {
  runs: positive('runs', args.runs, 3),
  durationSeconds: positive('duration', args.duration),
  warmupSeconds: positive('warmup', args.warmup),
  users: positive('users', args.users),
  days: positive('days', args.days),
  sessionsPerDay: positive('sessions-per-day', args['sessions-per-day'], 0),
  seed: positive('seed', args.seed, 0),
  skipSeed: args['skip-seed'],
  build: !args['no-build'],
  database: args.database!,
  baselineBodyBytes: positive('baseline-body-bytes', args['baseline-body-bytes']),
  jobs: positive('jobs', args.jobs),
  e2e: {
    ratePerSecond: positive('e2e-rate', args['e2e-rate']),
    seconds: positive('e2e-seconds', args['e2e-seconds']),
    saturationRuns: positive('runs', args.runs, 3),
    saturationSeconds: positive('duration', args.duration),
  } satisfies HubspotE2eOptions,
  maxMinutes: positive('max-minutes', args['max-minutes']),
  quietCores: positive('quiet-cores', args['quiet-cores'], 0),
  quietWaitMs: positive('quiet-wait', args['quiet-wait'], 0) * 1000,
  cpuProf: args['cpu-prof'],
};
if (!/^[a-z0-9_]*bench[a-z0-9_]*$/.test(options.database)) {
  throw new Error('--database must be a plain name containing "bench" (it is dropped and recreated)');
}

const postgresServerUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
const databaseUrl = `${postgresServerUrl}/${options.database}`;
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Selection {
  http: Benchmark[];
  reminderJobs: boolean;
  hubspotE2e: boolean;
}

function select(): Selection {
  if (!args.only) return { http: benchmarks, reminderJobs: true, hubspotE2e: true };
  const names = args.only.split(',').map((name) => name.trim());
  const known = [...benchmarks.map((b) => b.name), ...PHASES];
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0)
    throw new Error(`unknown benchmark(s) ${unknown.join(', ')}; known: ${known.join(', ')}`);
  // A ratio needs its baseline measured in the same invocation.
  const wanted = new Set(names);
  for (const name of names) {
    const benchmark = benchmarks.find((b) => b.name === name);
    if (benchmark?.baseline) wanted.add(benchmark.baseline);
    // A traced benchmark's cost is read against its untraced twin, measured alongside.
    if (benchmark?.tracingOf) wanted.add(benchmark.tracingOf);
  }
  return {
    http: benchmarks.filter((b) => wanted.has(b.name)),
    reminderJobs: wanted.has(REMINDER_JOBS),
    hubspotE2e: wanted.has(HUBSPOT_E2E),
  };
}

async function build(): Promise<void> {
  say('building the API and worker (npm run build)…');
  const started = performance.now();
  const output: Buffer[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('npm', ['run', 'build', '--silent'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (code !== 0) throw new Error(`npm run build failed:\n${Buffer.concat(output).toString('utf8')}`);
  say(`built in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

/** Users for a run without the API (baseline only): same shape, nothing stored. */
function syntheticUsers(count: number): BenchUser[] {
  const random = seededRandom(options.seed);
  return Array.from({ length: count }, (_, index) => ({
    sub: seededUuid(random),
    zone: BENCH_ZONES[index % BENCH_ZONES.length]!,
  }));
}

const httpStep = (benchmark: Benchmark, index: number) => `http:${benchmark.name}:${index}`;

async function measure(
  context: BenchContext,
  benchmark: Benchmark,
  server: RunningServer,
  users: BenchUser[],
  run: { index: number; warmup: boolean },
): Promise<RunResult> {
  const step = await context.schedule.start(httpStep(benchmark, run.index), { wait: !run.warmup });
  const startedAt = new Date().toISOString();
  if (!step.ok) {
    const result = failedRun({ ...run, startedAt }, new Error(step.reason));
    result.problems = [step.reason];
    console.log(runLine(benchmark.name, result));
    return result;
  }
  const durationSeconds = run.warmup ? options.warmupSeconds : options.durationSeconds;
  const spec: LoadSpec = {
    url: server.url,
    connections: benchmark.connections,
    durationSeconds,
    seed: options.seed * 1000 + run.index,
    plan: benchmark.plan({ users }),
  };
  // CPU is counted from the moment the load process starts autocannon (its start-up and
  // token minting left out) to its exit.
  let window: Promise<CpuWindow> | undefined;
  let result: RunResult;
  let loadCpuSeconds: number | undefined;
  try {
    const load = await runLoad(spec, () => {
      window = CpuWindow.start({
        server: () => [server.process.pid],
        postgres: () => backendPids(context.monitor, options.database),
        ...(context.redisPid === undefined ? {} : { redis: () => [context.redisPid!] }),
      });
    });
    loadCpuSeconds = load.loadCpuSeconds;
    result = toRunResult(load.result, { ...run, startedAt });
  } catch (error) {
    result = failedRun({ ...run, startedAt }, error as Error);
  }
  if (window) {
    const reading = await (await window).stop(loadCpuSeconds === undefined ? {} : { load: loadCpuSeconds });
    result.cpuCores = reading.cores;
    if (!run.warmup) result.warnings.push(...noiseWarnings(reading.cores.other, options.quietCores));
  }
  result.backgroundCoresBefore = step.backgroundCores;
  result.serverRssMiB = residentMiB(server.process.pid);
  if (!server.process.running)
    result.problems.push(`${server.name} process died:\n${server.process.logTail()}`);
  console.log(runLine(benchmark.name, result));
  return result;
}

interface HttpOutcome {
  summaries: Summary[];
  runs: Map<string, RunResult[]>;
  dataset: Record<string, unknown> & { users?: number; wearSessions?: number };
  /** The API's resident memory after its last run, and the largest after any one run. */
  apiRssMiB: number | null;
  apiPeakRssMiB: number | null;
  /** OTLP export requests the traced APIs sent the sink. */
  otlpExports: number;
}

/** Seeds, starts the servers, runs every selected HTTP benchmark, stops the servers. */
async function runHttp(context: BenchContext, selected: Benchmark[]): Promise<HttpOutcome> {
  // The untraced API seeds (it migrates the database first) whenever any API runs.
  const needed = new Set<ServerName>(selected.map((b) => b.server));
  if ([...needed].some(isApi)) needed.add('api');
  const running = new Map<ServerName, RunningServer>();
  const sink = new OtlpSink();
  const serverOptions: HttpServerOptions = {
    root: ROOT,
    logsDir: context.logsDir,
    databaseUrl,
    redisUrl,
    queuePrefix: options.database,
    baselineBodyBytes: options.baselineBodyBytes,
    cpuProfileDir: options.cpuProf ? `${RESULTS_DIR}/profiles` : undefined,
    otlpEndpoint: await sink.start(),
  };
  try {
    let users: BenchUser[];
    let dataset: HttpOutcome['dataset'] = { users: options.users, synthetic: true };
    if (needed.has('api')) {
      if (!options.skipSeed) await recreateDatabase(postgresServerUrl, options.database);
      await obliterateQueues(redisUrl, options.database);
      say(`starting the API on ${options.database}…`);
      running.set('api', await servers.api(serverOptions));
      if (options.skipSeed) {
        users = await loadBenchUsers(databaseUrl);
        dataset = { users: users.length, wearSessions: await countSessions(), reused: options.database };
      } else {
        say(
          `seeding ${options.users} users × ${options.days} days × ${options.sessionsPerDay} sessions/day…`,
        );
        const seeded = await seedDatabase(databaseUrl, {
          ...DEFAULT_SEED_OPTIONS,
          users: options.users,
          days: options.days,
          sessionsPerDay: options.sessionsPerDay,
          seed: options.seed,
        });
        say(`seeded ${seeded.sessions} wear sessions in ${seeded.seconds.toFixed(1)} s`);
        users = seeded.users;
        dataset = {
          users: users.length,
          days: options.days,
          sessionsPerDay: options.sessionsPerDay,
          wearSessions: seeded.sessions,
          seed: options.seed,
          seedSeconds: Math.round(seeded.seconds * 10) / 10,
        };
      }
    } else {
      users = syntheticUsers(options.users);
    }
    for (const name of needed) {
      if (!running.has(name)) running.set(name, await servers[name](serverOptions));
    }
    say(
      `HTTP benchmarks: 1 warm-up of ${options.warmupSeconds} s + ${options.runs} runs of ` +
        `${options.durationSeconds} s each, interleaved (${(context.schedule.spareMs() / 60_000).toFixed(1)} min to spare for quiet waits)`,
    );
    const runs = new Map<string, RunResult[]>(selected.map((b) => [b.name, []]));
    const record = async (benchmark: Benchmark, run: { index: number; warmup: boolean }) => {
      const server = running.get(benchmark.server)!;
      runs.get(benchmark.name)!.push(await measure(context, benchmark, server, users, run));
      await new Promise((resolve) => setTimeout(resolve, 1000)); // let sockets and GC settle
    };
    for (const benchmark of selected) await record(benchmark, { index: 0, warmup: true });
    for (let index = 1; index <= options.runs; index += 1) {
      for (const benchmark of selected) await record(benchmark, { index, warmup: false });
    }
    const api = running.get('api');
    const apiRssMiB = api ? (residentMiB(api.process.pid) ?? null) : null;
    const apiReadings = selected
      .filter((b) => b.server === 'api')
      .flatMap((b) => runs.get(b.name)!.flatMap((run) => run.serverRssMiB ?? []));
    const apiPeakRssMiB = apiReadings.length > 0 ? Math.max(...apiReadings) : null;

    // Baselines come first in the list, so each one's summary exists before its dependants'.
    const summaries: Summary[] = [];
    for (const benchmark of selected) {
      const baseline = summaries.find((s) => s.name === benchmark.baseline) ?? null;
      const summary = summarise(benchmark, runs.get(benchmark.name)!, baseline);
      if (benchmark.name === BASELINE && summary.medianRequestsPerSec !== null) {
        summary.ratioToBaseline = 1;
        summary.baseline = BASELINE;
      }
      summaries.push(summary);
    }
    return { summaries, runs, dataset, apiRssMiB, apiPeakRssMiB, otlpExports: sink.exports };
  } finally {
    await Promise.all([...running.values()].map((server) => server.process.stop()));
    await sink.stop();
    // The acknowledged HubSpot events' jobs, which no worker consumed.
    if (needed.has('api')) await obliterateQueues(redisUrl, options.database);
  }
}

async function countSessions(): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>('select count(*)::int as n from wear_sessions');
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

function writeHttpResults(outcome: HttpOutcome, context: { machine: unknown; startedAt: string }): void {
  const finishedAt = new Date().toISOString();
  for (const summary of outcome.summaries) {
    const benchmark = benchmarks.find((b) => b.name === summary.name)!;
    const file = {
      name: benchmark.name,
      description: benchmark.description,
      server: benchmark.server,
      connections: benchmark.connections,
      durationSeconds: options.durationSeconds,
      warmupSeconds: options.warmupSeconds,
      startedAt: context.startedAt,
      finishedAt,
      machine: context.machine,
      dataset: outcome.dataset,
      summary,
      runs: outcome.runs.get(benchmark.name) ?? [],
    };
    writeFileSync(`${RESULTS_DIR}/${benchmark.name}.json`, `${JSON.stringify(file, null, 2)}\n`);
  }
}

async function main(): Promise<number> {
  const startedAt = new Date(STARTED_AT).toISOString();
  const selection = select();
  const schedule = new Schedule(
    STARTED_AT,
    STARTED_AT + options.maxMinutes * 60_000,
    options.quietCores,
    options.quietWaitMs,
  );
  for (const benchmark of selection.http) {
    schedule.add(httpStep(benchmark, 0), options.warmupSeconds * 1000 + HTTP_RUN_OVERHEAD_MS);
    for (let index = 1; index <= options.runs; index += 1) {
      schedule.add(httpStep(benchmark, index), options.durationSeconds * 1000 + HTTP_RUN_OVERHEAD_MS);
    }
  }
  if (selection.reminderJobs) {
    for (const [id, ms] of reminderJobsSteps(options.runs, options.jobs)) schedule.add(id, ms);
  }
  if (selection.hubspotE2e) {
    for (const [id, ms] of hubspotE2eSteps(options.e2e, options.warmupSeconds)) schedule.add(id, ms);
  }

  const interrupted = () => void ManagedProcess.stopAll().finally(() => process.exit(130));
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  mkdirSync(RESULTS_DIR, { recursive: true });

  const needsBuild =
    selection.http.some((b) => isApi(b.server)) || selection.reminderJobs || selection.hubspotE2e;
  if (options.build && needsBuild) await build();
  const monitor = new pg.Client({ connectionString: `${postgresServerUrl}/postgres` });
  await monitor.connect();
  try {
    const machine = await describeMachine(`${postgresServerUrl}/postgres`, redisUrl);
    console.log(`\n${formatMachine(machine)}\n`);
    const context: BenchContext = {
      root: ROOT,
      resultsDir: RESULTS_DIR,
      logsDir: `${RESULTS_DIR}/logs`,
      postgresServerUrl,
      redisUrl,
      database: options.database,
      runs: options.runs,
      warmupSeconds: options.warmupSeconds,
      schedule,
      monitor,
      redisPid: await redisPid(redisUrl),
      cpuProfileDir: options.cpuProf ? `${RESULTS_DIR}/profiles` : undefined,
    };

    const http = selection.http.length > 0 ? await runHttp(context, selection.http) : null;
    if (http) {
      writeHttpResults(http, { machine, startedAt });
      console.log(`\n${summaryTable(http.summaries)}`);
      if (http.summaries.some((summary) => tracedTwin(summary.name)))
        console.log(`\n${tracingCostTable(http.summaries, benchmarks, http.otlpExports)}`);
    }
    let reminderJobs: ReminderJobsResult | null = null;
    if (selection.reminderJobs) {
      say(`reminder schedule jobs (${options.jobs} per round) against a no-op BullMQ worker…`);
      reminderJobs = await runReminderJobs(context, options.jobs);
    }
    let hubspotE2e: HubspotE2eResult | null = null;
    if (selection.hubspotE2e) {
      say(
        `HubSpot acknowledgement → user row updated, ${options.e2e.ratePerSecond} events/s ` +
          `(${options.warmupSeconds} s warm-up, ${options.e2e.seconds} s measured)…`,
      );
      hubspotE2e = await runHubspotE2e(context, options.e2e);
    }

    const memory: MemoryReading[] = [
      {
        process: 'API',
        after: 'the HTTP benchmarks',
        rssMiB: http?.apiRssMiB ?? null,
        peakMiB: http?.apiPeakRssMiB ?? null,
        selected: selection.http.some((b) => b.server === 'api'),
      },
      {
        process: 'Worker',
        after: 'the reminder jobs',
        rssMiB: reminderJobs?.workerRssMiB ?? null,
        peakMiB: reminderJobs?.workerPeakRssMiB ?? null,
        selected: selection.reminderJobs,
      },
      {
        process: 'Worker',
        after: 'the end-to-end run',
        rssMiB: hubspotE2e?.workerRssMiB ?? null,
        selected: selection.hubspotE2e,
      },
    ];
    const dataset = http?.dataset ?? {};
    const targets = targetRows({
      benchmarks,
      summaries: http?.summaries ?? [],
      dataset,
      reminderJobs,
      hubspotE2e,
      memory,
    });
    const wallSeconds = (Date.now() - STARTED_AT) / 1000;
    const finishedAt = new Date().toISOString();
    const table = targetTable(targets);
    writeFileSync(
      `${RESULTS_DIR}/summary.json`,
      `${JSON.stringify(
        {
          startedAt,
          finishedAt,
          wallSeconds,
          options,
          machine,
          dataset,
          targets,
          memory,
          http: http?.summaries ?? [],
          reminderJobs,
          hubspotE2e,
        },
        null,
        2,
      )}\n`,
    );
    writeFileSync(
      `${RESULTS_DIR}/summary.md`,
      `Measured ${finishedAt.slice(0, 10)} in ${minutes(wallSeconds)} (\`npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\`); ` +
        `HTTP: ${options.runs} runs × ${options.durationSeconds} s (+ ${options.warmupSeconds} s warm-up) per benchmark.\n\n` +
        `${formatMachine(machine)}\n\nDataset: ${JSON.stringify(dataset)}\n\n${table}\n` +
        (http ? `\n${summaryTable(http.summaries)}\n` : '') +
        (http?.summaries.some((summary) => tracedTwin(summary.name))
          ? `\n${tracingCostTable(http.summaries, benchmarks, http.otlpExports)}\n`
          : ''),
    );
    console.log(`\n${table}\n`);
    console.log(`results: ${RESULTS_DIR}/*.json, summary.md`);

    const invalid = [
      ...(http?.summaries ?? []).filter((s) => s.status !== 'ok').map((s) => s.name),
      ...(reminderJobs && reminderJobs.status !== 'ok' ? [REMINDER_JOBS] : []),
      ...(hubspotE2e && hubspotE2e.status !== 'ok' ? [HUBSPOT_E2E] : []),
    ];
    console.log(`wall time: ${minutes(wallSeconds)} (limit --max-minutes ${options.maxMinutes})`);
    if (invalid.length > 0) {
      console.error(`INVALID: ${invalid.join(', ')} (see the runs above)`);
      return 1;
    }
    return 0;
  } finally {
    await monitor.end();
    await ManagedProcess.stopAll();
  }
}

process.exitCode = await main();

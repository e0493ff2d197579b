/**
 * `npm run bench`: builds the API, recreates and seeds its bench database, starts every
 * server a selected benchmark needs (each its own process), and measures each benchmark
 * with autocannon in a separate load process: one warm-up, then `--runs` measured runs of
 * `--duration` seconds, interleaved (round 1 of every benchmark, then round 2, …) so a
 * slow patch of the machine hits every benchmark alike and ratios to the baseline hold.
 * Writes bench/results/<name>.json, summary.json and summary.md; prints the table.
 * Exits 1 when a run was invalid (errors or non-2xx responses) or a target could not run.
 *
 *   npm run bench -- [--only a,b] [--runs 3] [--duration 10] [--warmup 5] [--users 1000]
 *                    [--days 90] [--sessions-per-day 3] [--seed 1] [--skip-seed] [--no-build]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Result } from 'autocannon';
import pg from 'pg';
import { BASELINE, benchmarks, type Benchmark } from './benchmarks.js';
import { describeMachine, formatMachine, type MachineInfo } from './lib/machine.js';
import { cpuSeconds, cpuSecondsOf, machineBusySeconds, residentMiB, waitForQuiet } from './lib/cpu.js';
import { runToCompletion, tsxCommand } from './lib/processes.js';
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
import type { BenchUser, LoadSpec } from './request-plans.js';
import { BENCH_ZONES, DEFAULT_SEED_OPTIONS, loadBenchUsers, seedDatabase } from './seed.js';
import { servers, type RunningServer, type ServerName, type ServerOptions } from './servers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const RESULTS_DIR = `${ROOT}/bench/results`;

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
    'max-minutes': { type: 'string', default: '20' },
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
  deadline: Date.now() + positive('max-minutes', args['max-minutes']) * 60_000,
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

function selectedBenchmarks(): Benchmark[] {
  if (!args.only) return benchmarks;
  const names = args.only.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !benchmarks.some((b) => b.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `unknown benchmark(s) ${unknown.join(', ')}; known: ${benchmarks.map((b) => b.name).join(', ')}`,
    );
  }
  // A ratio needs its baseline measured in the same invocation.
  const wanted = new Set(names);
  for (const name of names) {
    const baseline = benchmarks.find((b) => b.name === name)?.baseline;
    if (baseline) wanted.add(baseline);
  }
  return benchmarks.filter((b) => wanted.has(b.name));
}

async function build(): Promise<void> {
  console.log('building the API (npm run build)…');
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
}

/** DROP and CREATE the bench database; the API migrates it when it starts. */
async function recreateDatabase(): Promise<void> {
  const client = new pg.Client({ connectionString: `${postgresServerUrl}/postgres` });
  await client.connect();
  try {
    const name = client.escapeIdentifier(options.database);
    await client.query(`drop database if exists ${name} with (force)`);
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
}

/** Users for a run without the API (baseline only): same shape, nothing stored. */
function syntheticUsers(count: number): BenchUser[] {
  const random = seededRandom(options.seed);
  return Array.from({ length: count }, (_, index) => ({
    sub: seededUuid(random),
    zone: BENCH_ZONES[index % BENCH_ZONES.length]!,
  }));
}

/** The pids of the Postgres backends serving the bench database (the API's pool). */
async function benchBackends(monitor: pg.Client): Promise<number[]> {
  const { rows } = await monitor.query<{ pid: number }>(
    'select pid from pg_stat_activity where datname = $1',
    [options.database],
  );
  return rows.map((row) => row.pid);
}

async function measure(
  benchmark: Benchmark,
  server: RunningServer,
  users: BenchUser[],
  run: { index: number; warmup: boolean },
  monitor: pg.Client,
): Promise<RunResult> {
  if (Date.now() > options.deadline) throw new Error('--max-minutes reached; stopping the bench');
  const durationSeconds = run.warmup ? options.warmupSeconds : options.durationSeconds;
  const spec: LoadSpec = {
    url: server.url,
    connections: benchmark.connections,
    durationSeconds,
    seed: options.seed * 1000 + run.index,
    plan: benchmark.plan({ users }),
  };
  const { command, args: commandArgs } = tsxCommand(`${ROOT}/bench/load-worker.ts`);
  const backgroundCoresBefore = await waitForQuiet(options.quietCores, options.quietWaitMs);
  const startedAt = new Date().toISOString();
  const before = {
    wall: performance.now(),
    machine: machineBusySeconds(),
    server: cpuSeconds(server.process.pid),
    postgres: cpuSecondsOf(await benchBackends(monitor)),
  };
  let result: RunResult;
  let loadCpuSeconds: number | undefined;
  try {
    const output = await runToCompletion(command, commandArgs, {
      input: JSON.stringify(spec),
      timeoutMs: (durationSeconds + 60) * 1000,
    });
    const lines = output.trim().split('\n');
    const parsed = JSON.parse(lines[lines.length - 1]!) as Result & { loadProcess?: { cpuSeconds: number } };
    loadCpuSeconds = parsed.loadProcess?.cpuSeconds;
    result = toRunResult(parsed, { ...run, startedAt });
  } catch (error) {
    result = failedRun({ ...run, startedAt }, error as Error);
  }
  // The window includes the load process's start-up (tsx, tokens), so the rates are a slight underestimate.
  const wall = (performance.now() - before.wall) / 1000;
  const serverAfter = cpuSeconds(server.process.pid);
  const serverCpu =
    serverAfter !== undefined && before.server !== undefined ? serverAfter - before.server : 0;
  let postgres = 0;
  for (const [pid, after] of cpuSecondsOf(await benchBackends(monitor))) {
    postgres += after - (before.postgres.get(pid) ?? 0);
  }
  const other = Math.max(
    0,
    machineBusySeconds() - before.machine - serverCpu - postgres - (loadCpuSeconds ?? 0),
  );
  result.cpuCores = {
    server: serverCpu / wall,
    ...(loadCpuSeconds === undefined ? {} : { load: loadCpuSeconds / wall }),
    postgres: postgres / wall,
    other: other / wall,
  };
  result.backgroundCoresBefore = backgroundCoresBefore;
  if (other / wall >= options.quietCores) {
    result.warnings.push(`other processes used ${(other / wall).toFixed(2)} cores during the run`);
  }
  result.serverRssMiB = residentMiB(server.process.pid);
  if (!server.process.running)
    result.problems.push(`${server.name} process died:\n${server.process.logTail()}`);
  console.log(runLine(benchmark.name, result));
  return result;
}

function writeResults(
  summaries: Summary[],
  runs: Map<string, RunResult[]>,
  context: { machine: MachineInfo; dataset: Record<string, unknown>; startedAt: string },
): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const finishedAt = new Date().toISOString();
  for (const summary of summaries) {
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
      dataset: context.dataset,
      summary,
      runs: runs.get(benchmark.name) ?? [],
    };
    writeFileSync(`${RESULTS_DIR}/${benchmark.name}.json`, `${JSON.stringify(file, null, 2)}\n`);
  }
  const table = summaryTable(summaries);
  writeFileSync(
    `${RESULTS_DIR}/summary.json`,
    `${JSON.stringify({ ...context, finishedAt, summaries }, null, 2)}\n`,
  );
  writeFileSync(
    `${RESULTS_DIR}/summary.md`,
    `Measured ${finishedAt.slice(0, 10)}; ${options.runs} runs × ${options.durationSeconds} s ` +
      `(+ ${options.warmupSeconds} s warm-up) per benchmark.\n\n${formatMachine(context.machine)}\n\n` +
      `Dataset: ${JSON.stringify(context.dataset)}\n\n${table}\n`,
  );
}

async function main(): Promise<number> {
  const startedAt = new Date().toISOString();
  const selected = selectedBenchmarks();
  const needed = new Set<ServerName>(selected.map((b) => b.server));
  const running = new Map<ServerName, RunningServer>();
  let monitor: pg.Client | undefined;
  const stopAll = async () => {
    await Promise.all([...running.values()].map((server) => server.process.stop()));
    running.clear();
  };
  const interrupted = () => void stopAll().finally(() => process.exit(130));
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  const serverOptions: ServerOptions = {
    root: ROOT,
    logsDir: `${RESULTS_DIR}/logs`,
    databaseUrl,
    redisUrl,
    baselineBodyBytes: options.baselineBodyBytes,
    cpuProfileDir: options.cpuProf ? `${RESULTS_DIR}/profiles` : undefined,
  };
  try {
    let users: BenchUser[];
    let dataset: Record<string, unknown> = { users: options.users, synthetic: true };
    if (needed.has('api')) {
      if (options.build) await build();
      if (!options.skipSeed) await recreateDatabase();
      console.log(`starting the API on ${options.database}…`);
      running.set('api', await servers.api(serverOptions));
      if (options.skipSeed) {
        users = await loadBenchUsers(databaseUrl);
        dataset = { users: users.length, reused: options.database };
      } else {
        console.log(
          `seeding ${options.users} users × ${options.days} days × ${options.sessionsPerDay} sessions/day…`,
        );
        const seeded = await seedDatabase(databaseUrl, {
          ...DEFAULT_SEED_OPTIONS,
          users: options.users,
          days: options.days,
          sessionsPerDay: options.sessionsPerDay,
          seed: options.seed,
        });
        console.log(`  ${seeded.sessions} wear sessions in ${seeded.seconds.toFixed(1)} s`);
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
    const machine = await describeMachine(`${postgresServerUrl}/postgres`, redisUrl);
    const watcher = new pg.Client({ connectionString: `${postgresServerUrl}/postgres` });
    monitor = watcher;
    await watcher.connect();
    console.log(`\n${formatMachine(machine)}\n`);

    const runs = new Map<string, RunResult[]>(selected.map((b) => [b.name, []]));
    const record = async (benchmark: Benchmark, run: { index: number; warmup: boolean }) => {
      const server = running.get(benchmark.server)!;
      runs.get(benchmark.name)!.push(await measure(benchmark, server, users, run, watcher));
      await new Promise((resolve) => setTimeout(resolve, 1000)); // let sockets and GC settle
    };
    for (const benchmark of selected) await record(benchmark, { index: 0, warmup: true });
    for (let index = 1; index <= options.runs; index += 1) {
      for (const benchmark of selected) await record(benchmark, { index, warmup: false });
    }

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
    writeResults(summaries, runs, { machine, dataset, startedAt });
    console.log(`\n${summaryTable(summaries)}\n`);
    console.log(`results: ${RESULTS_DIR}/*.json, summary.md`);
    const invalid = summaries.filter((s) => s.status !== 'ok');
    if (invalid.length > 0) {
      console.error(`INVALID: ${invalid.map((s) => s.name).join(', ')} (see the runs above)`);
      return 1;
    }
    return 0;
  } finally {
    await monitor?.end();
    await stopAll();
  }
}

process.exitCode = await main();

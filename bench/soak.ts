/**
 * A longer soak than the test suite's (issue 9): `npm run soak -- --seconds 600`.
 * The built API and worker as their own processes (production settings, their own
 * database and queue prefix), against fault-injecting OneSignal and Jarvis stubs on
 * loopback; mixed traffic at a fixed rate, then the reconciliation of every
 * acknowledged request and the RSS of both processes (test/soak/soak-run.ts). Figures
 * go to bench/results/soak-last.json, logs to bench/results/logs/soak-*.log. Exits 1
 * when anything acknowledged was lost, a request failed, or memory grew.
 * Options: --seconds [600] --rate [25] --users [60] --seed [1] --drain [300].
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { FaultyJarvis, FaultyOneSignal } from '../test/soak/fault-stubs.js';
import {
  formatReport,
  runSoak,
  SOAK_FAULTS,
  SOAK_KEYS,
  soakEnv,
  writeReport,
} from '../test/soak/soak-run.js';
import { ManagedProcess, freePort, waitUntilReady } from './lib/processes.js';
import { numberArgument, recreateDatabase, serviceEnv } from './lib/standalone.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = numberArgument('seconds', 600);
const RATE = numberArgument('rate', 25);
const USERS = numberArgument('users', 60);
const SEED = numberArgument('seed', 1);
const DRAIN = numberArgument('drain', 300);
const postgresUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const databaseUrl = `${postgresUrl}/aligner_bench_soak`;
const resultsDir = path.join(root, 'bench/results');
const queuePrefix = `bench-soak-${Date.now()}`;

async function deleteQueueKeys(): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${queuePrefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function main(): Promise<number> {
  await recreateDatabase(postgresUrl, 'aligner_bench_soak');
  const onesignal = await new FaultyOneSignal(SOAK_KEYS.onesignal, {
    ...SOAK_FAULTS,
    seed: SEED + 10,
  }).start();
  const jarvis = await new FaultyJarvis(SOAK_KEYS.jarvis, { ...SOAK_FAULTS, seed: SEED + 11 }).start();
  const port = await freePort();
  const workerPort = await freePort();
  const env = serviceEnv({
    databaseUrl,
    redisUrl,
    queuePrefix,
    workerPort,
    extra: { ...soakEnv(onesignal.url, jarvis.url), PORT: String(port), LOG_LEVEL: 'info' },
  });
  const api = new ManagedProcess(
    'api',
    process.execPath,
    [path.join(root, 'dist/api/main.js')],
    env,
    path.join(resultsDir, 'logs/soak-api.log'),
  );
  const apiUrl = `http://127.0.0.1:${port}`;
  const workerUrl = `http://127.0.0.1:${workerPort}`;
  let worker: ManagedProcess | undefined;
  try {
    await waitUntilReady(`${apiUrl}/ready`, api, 60_000);
    worker = new ManagedProcess(
      'worker',
      process.execPath,
      [path.join(root, 'dist/worker/main.js')],
      env,
      path.join(resultsDir, 'logs/soak-worker.log'),
    );
    await waitUntilReady(`${workerUrl}/ready`, worker, 60_000);
    const report = await runSoak(
      { apiUrl, workerUrl, databaseUrl, pids: { api: api.pid, worker: worker.pid }, onesignal, jarvis },
      { seconds: SECONDS, rate: RATE, users: USERS, seed: SEED, drainSeconds: DRAIN, progress: console.log },
    );
    const file = path.join(resultsDir, 'soak-last.json');
    writeReport(report, file);
    console.log(`${formatReport(report)}\nfigures: ${file}`);
    const ok = report.reconciliation.lost === 0 && report.requests.unexpected === 0 && report.rss.flat;
    console.log(ok ? 'soak passed' : 'soak FAILED');
    return ok ? 0 : 1;
  } finally {
    await Promise.all([api.stop(), worker?.stop()]);
    await Promise.all([onesignal.stop(), jarvis.stop()]);
    await deleteQueueKeys();
  }
}

process.exitCode = await main();

/**
 * A longer soak than the test suite's (issue 9): `npm run soak -- --seconds 600`.
 * The built API and worker as their own processes (production settings, their own
 * database and queue prefix), against fault-injecting OneSignal and Jarvis stubs on
 * loopback; mixed traffic at a fixed rate, then the reconciliation of every
 * acknowledged request and the RSS of both processes (test/support/soak/soak-run.ts). Figures
 * go to bench/results/soak-last.json, logs to bench/results/logs/soak-*.log. Exits 1
 * when anything acknowledged was lost, a request failed, or memory grew.
 * Options: --seconds [600] --rate [25] --users [60] --seed [1] --drain [300].
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FaultyJarvis, FaultyOneSignal } from '../test/support/soak/fault-stubs.js';
import {
  formatReport,
  runSoak,
  SOAK_FAULTS,
  SOAK_KEYS,
  soakEnv,
  writeReport,
} from '../test/support/soak/soak-run.js';
import { obliterateQueues, recreateDatabase } from './lib/stores.js';
import { startApi, startWorker, type RunningServer } from './servers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '600' },
    rate: { type: 'string', default: '25' },
    users: { type: 'string', default: '60' },
    seed: { type: 'string', default: '1' },
    drain: { type: 'string', default: '300' },
  },
});
const [SECONDS, RATE, USERS, SEED, DRAIN] = [args.seconds, args.rate, args.users, args.seed, args.drain].map(
  Number,
) as [number, number, number, number, number];
const postgresUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE = 'aligner_bench_soak';
const databaseUrl = `${postgresUrl}/${DATABASE}`;
const resultsDir = path.join(root, 'bench/results');
const queuePrefix = `bench_soak_${Date.now()}`;

async function main(): Promise<number> {
  await recreateDatabase(postgresUrl, DATABASE);
  const onesignal = await new FaultyOneSignal(SOAK_KEYS.onesignal, {
    ...SOAK_FAULTS,
    seed: SEED + 10,
  }).start();
  const jarvis = await new FaultyJarvis(SOAK_KEYS.jarvis, { ...SOAK_FAULTS, seed: SEED + 11 }).start();
  // The bench's production settings, with the soak's stubs and keys, logging at info.
  const service = {
    root,
    databaseUrl,
    redisUrl,
    queuePrefix,
    env: { ...soakEnv(onesignal.url, jarvis.url), LOG_LEVEL: 'info' },
  };
  const running: RunningServer[] = [];
  try {
    const api = await startApi({ ...service, logFile: path.join(resultsDir, 'logs/soak-api.log') });
    running.push(api);
    const worker = await startWorker({ ...service, logFile: path.join(resultsDir, 'logs/soak-worker.log') });
    running.push(worker);
    const report = await runSoak(
      {
        apiUrl: api.url,
        workerUrl: worker.url,
        databaseUrl,
        pids: { api: api.process.pid, worker: worker.process.pid },
        onesignal,
        jarvis,
      },
      { seconds: SECONDS, rate: RATE, users: USERS, seed: SEED, drainSeconds: DRAIN, progress: console.log },
    );
    const file = path.join(resultsDir, 'soak-last.json');
    writeReport(report, file);
    console.log(`${formatReport(report)}\nfigures: ${file}`);
    const ok = report.reconciliation.lost === 0 && report.requests.unexpected === 0 && report.rss.flat;
    console.log(ok ? 'soak passed' : 'soak FAILED');
    return ok ? 0 : 1;
  } finally {
    await Promise.all(running.map((server) => server.process.stop()));
    await Promise.all([onesignal.stop(), jarvis.stop()]);
    await obliterateQueues(redisUrl, queuePrefix);
  }
}

process.exitCode = await main();

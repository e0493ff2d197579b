/**
 * Issue 7's end-to-end latency: HubSpot acknowledgement → user row updated, with the
 * API and the worker as their own processes. Signed one-event batches are sent at a
 * fixed rate (200 events/s by default) for a fixed time; each event's latency is read
 * from Postgres: `processed_at` (set in the transaction that updates the user row)
 * minus `received_at` (the acknowledging statement). Usage: `npm run bench:hubspot-e2e`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKnex } from '../src/shared/db/knex.js';
import { hubspotSignatureV3 } from '../src/shared/hubspot-signature.js';
import { describeMachine, formatMachine } from './lib/machine.js';
import { numberArgument, recreateDatabase, serviceEnv } from './lib/standalone.js';
import { ManagedProcess, freePort } from './lib/processes.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RATE = numberArgument('rate', 200);
const SECONDS = numberArgument('seconds', 20);
const USERS = 500;
const SECRET = 'bench-hubspot-secret';
const postgresUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const databaseUrl = `${postgresUrl}/aligner_bench_hubspot`;
const resultsDir = path.join(root, 'bench/results');

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function main(): Promise<void> {
  await recreateDatabase(postgresUrl, 'aligner_bench_hubspot');

  const port = await freePort();
  const env = serviceEnv({
    databaseUrl,
    redisUrl,
    queuePrefix: 'bench-hubspot',
    workerPort: await freePort(),
    extra: { HUBSPOT_CLIENT_SECRET: SECRET, PORT: String(port) },
  });
  const api = new ManagedProcess(
    'api',
    process.execPath,
    [path.join(root, 'dist/api/main.js')],
    env,
    path.join(resultsDir, 'logs/api-hubspot.log'),
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200 && (await fetch(`${url}/ready`).catch(() => undefined))?.status !== 200; i += 1)
    await new Promise((resolve) => setTimeout(resolve, 100));
  const worker = new ManagedProcess(
    'worker',
    process.execPath,
    [path.join(root, 'dist/worker/main.js')],
    env,
    path.join(resultsDir, 'logs/worker-hubspot.log'),
  );
  for (
    let i = 0;
    i < 200 &&
    (await fetch(`http://127.0.0.1:${env.WORKER_PORT}/ready`).catch(() => undefined))?.status !== 200;
    i += 1
  )
    await new Promise((resolve) => setTimeout(resolve, 100));

  // Users linked to contacts, so each event updates a user row.
  const knex = createKnex(databaseUrl, { max: 4 });
  const users = Array.from({ length: USERS }, (_, i) => ({
    cognito_sub: `bench-${i}`,
    email: `bench-${i}@bench.example`,
    timezone: 'UTC',
  }));
  const ids = (await knex('users').insert(users).returning('id')) as Array<{ id: string }>;
  await knex('hubspot_contacts').insert(ids.map(({ id }, i) => ({ contact_id: 1_000_000 + i, user_id: id })));

  const webhook = `${url}/public/hubspot/webhooks`;
  const send = async (eventId: number) => {
    const body = JSON.stringify([
      {
        eventId,
        subscriptionId: 1,
        portalId: 1,
        appId: 1,
        occurredAt: Date.now(),
        subscriptionType: 'contact.propertyChange',
        attemptNumber: 0,
        objectId: 1_000_000 + (eventId % USERS),
        propertyName: 'firstname',
        propertyValue: `Name ${eventId}`,
        changeSource: 'CRM_UI',
      },
    ]);
    const timestamp = String(Date.now());
    const response = await fetch(webhook, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hubspot-request-timestamp': timestamp,
        'x-hubspot-signature-v3': hubspotSignatureV3(SECRET, 'POST', webhook, body, timestamp),
      },
      body,
    });
    if (response.status !== 200) throw new Error(`webhook answered ${response.status}`);
  };

  // Open loop at a fixed rate: a slow answer does not slow the sending down.
  const total = RATE * SECONDS;
  const started = Date.now();
  const inFlight: Array<Promise<void>> = [];
  for (let i = 0; i < total; i += 1) {
    const due = started + (i * 1000) / RATE;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(send(i + 1));
  }
  await Promise.all(inFlight);
  const sendSeconds = (Date.now() - started) / 1000;
  for (let i = 0; i < 600; i += 1) {
    const [row] = (await knex('hubspot_events').where({ status: 'received' }).count({ n: '*' })) as Array<{
      n: number;
    }>;
    if (row?.n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const rows = (await knex('hubspot_events')
    .where({ status: 'processed' })
    .select(knex.raw('extract(epoch from (processed_at - received_at)) * 1000 as ms'))) as Array<{
    ms: string;
  }>;
  const latencies = rows.map((row) => Number(row.ms)).sort((a, b) => a - b);
  const summary = {
    date: new Date().toISOString(),
    machine: await describeMachine(databaseUrl, redisUrl),
    rate_events_per_second: RATE,
    achieved_events_per_second: total / sendSeconds,
    events: total,
    processed: latencies.length,
    latency_ms: {
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p99: percentile(latencies, 99),
      max: latencies.at(-1),
    },
    targets: { p50_ms: 25, p99_ms: 150, note: 'issue 10' },
  };
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(path.join(resultsDir, 'hubspot-e2e-latency.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(formatMachine(summary.machine));
  console.log(
    `${summary.processed}/${total} events at ${summary.achieved_events_per_second.toFixed(0)} events/s: ack → user row updated p50 ${summary.latency_ms.p50.toFixed(1)} ms, p90 ${summary.latency_ms.p90.toFixed(1)} ms, p99 ${summary.latency_ms.p99.toFixed(1)} ms (targets p50 ≤ 25, p99 ≤ 150: ${summary.latency_ms.p50 <= 25 && summary.latency_ms.p99 <= 150 ? 'pass' : 'short'})`,
  );
  await Promise.all([api.stop(), worker.stop()]);
  await knex.destroy();
}

await main();

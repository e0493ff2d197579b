/**
 * Issue 7's end-to-end latency, a phase of `npm run bench` (`--only hubspot-e2e`):
 * HubSpot acknowledgement → user row updated, with the real API and worker as their own
 * processes on their own database. Signed one-event batches are sent open-loop at a
 * fixed rate (200 events/s by default): a warm-up of `--warmup` seconds, then the
 * measured `--e2e-seconds`. Each measured event's latency is read from Postgres:
 * `processed_at` (set in the transaction that updates the user row) minus `received_at`
 * (the acknowledging statement). Both processes' resident memory is read at the end.
 */
import { writeFileSync } from 'node:fs';
import { createKnex, type Knex } from '../src/shared/db/knex.js';
import { hubspotSignatureV3 } from '../src/hubspot/signature.js';
import { noiseWarnings, type BenchContext, type RunHealth } from './lib/context.js';
import { CpuWindow, residentMiB } from './lib/cpu.js';
import { formatCores, healthText } from './lib/results.js';
import { backendPids, obliterateQueues, recreateDatabase } from './lib/stores.js';
import {
  HUBSPOT_SATURATION,
  runSaturation,
  saturationSteps,
  type SaturationResult,
} from './hubspot-saturation.js';
import { BENCH_HUBSPOT_SECRET, startApi, startWorker, type RunningServer } from './servers.js';

export const HUBSPOT_E2E = 'hubspot-e2e';
/** Issues 10 and 17, at 200 events/s, the worker beside the API. */
export const HUBSPOT_E2E_TARGETS = { maxP50Ms: 25, maxP99Ms: 50 };

/** Users linked to HubSpot contacts; event n updates user n mod USERS. */
const USERS = 500;
const FIRST_CONTACT = 1_000_000;

export interface HubspotE2eOptions {
  ratePerSecond: number;
  seconds: number;
  /** Closed-loop runs at 32 connections afterwards (hubspot-saturation.ts), and their length. */
  saturationRuns: number;
  saturationSeconds: number;
}

export interface HubspotE2eResult extends RunHealth {
  name: typeof HUBSPOT_E2E;
  status: 'ok' | 'invalid';
  startedAt: string;
  rateEventsPerSec: number;
  warmupEvents: number;
  /** Measured events sent, and how many of those updated their user row. */
  events: number;
  processed: number;
  /** The measured events by final status (`ignored`: nothing to apply, e.g. a stale change). */
  statusCounts: Record<string, number>;
  achievedEventsPerSec: number | null;
  latencyMs: { p50: number; p90: number; p99: number; max: number } | null;
  apiRssMiB: number | null;
  workerRssMiB: number | null;
  /** The API and worker together, under closed-loop load (null: not reached). */
  saturation: SaturationResult | null;
}

/** Step ids and estimated durations, for the time plan (Schedule). */
export function hubspotE2eSteps(options: HubspotE2eOptions, warmupSeconds: number): Array<[string, number]> {
  return [
    [`${HUBSPOT_E2E}:setup`, 10_000],
    [`${HUBSPOT_E2E}:warmup`, (warmupSeconds + 3) * 1000],
    [`${HUBSPOT_E2E}:run`, (options.seconds + 4) * 1000],
    ...saturationSteps(options.saturationRuns, options.saturationSeconds),
  ];
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function signedSender(apiUrl: string): Promise<(eventId: number) => Promise<boolean>> {
  const webhook = `${apiUrl}/public/hubspot/webhooks`;
  return async (eventId) => {
    const body = JSON.stringify([
      {
        eventId,
        subscriptionId: 1,
        portalId: 1,
        appId: 1,
        occurredAt: Date.now(),
        subscriptionType: 'contact.propertyChange',
        attemptNumber: 0,
        objectId: FIRST_CONTACT + (eventId % USERS),
        propertyName: 'firstname',
        propertyValue: `Name ${eventId}`,
        changeSource: 'CRM_UI',
      },
    ]);
    const timestamp = String(Date.now());
    try {
      const response = await fetch(webhook, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hubspot-request-timestamp': timestamp,
          'x-hubspot-signature-v3': hubspotSignatureV3(
            BENCH_HUBSPOT_SECRET,
            'POST',
            webhook,
            body,
            timestamp,
          ),
        },
        body,
      });
      await response.arrayBuffer();
      return response.status === 200;
    } catch {
      return false;
    }
  };
}

/**
 * Sends events `first`…`first + count - 1` open-loop at `rate`: a slow answer does not
 * slow the sending down. Resolves with the failed sends and the achieved rate.
 */
async function sendAtRate(
  send: (eventId: number) => Promise<boolean>,
  first: number,
  count: number,
  rate: number,
): Promise<{ failed: number; eventsPerSec: number }> {
  const started = performance.now();
  const inFlight: Array<Promise<boolean>> = [];
  for (let i = 0; i < count; i += 1) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(send(first + i));
  }
  const outcomes = await Promise.all(inFlight);
  return {
    failed: outcomes.filter((ok) => !ok).length,
    eventsPerSec: count / ((performance.now() - started) / 1000),
  };
}

/** Waits (at most `timeoutMs`) until the worker has taken every acknowledged event. */
async function drained(knex: Knex, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = (await knex('hubspot_events').where({ status: 'received' }).count({ n: '*' })) as Array<{
      n: number | string;
    }>;
    if (Number(row?.n) === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function runHubspotE2e(
  context: BenchContext,
  options: HubspotE2eOptions,
): Promise<HubspotE2eResult> {
  const name = `${context.database}_hubspot`;
  const databaseUrl = `${context.postgresServerUrl}/${name}`;
  const warmupEvents = Math.round(options.ratePerSecond * context.warmupSeconds);
  const events = Math.round(options.ratePerSecond * options.seconds);
  const result: HubspotE2eResult = {
    name: HUBSPOT_E2E,
    status: 'invalid',
    startedAt: new Date().toISOString(),
    rateEventsPerSec: options.ratePerSecond,
    warmupEvents,
    events,
    processed: 0,
    statusCounts: {},
    achievedEventsPerSec: null,
    latencyMs: null,
    apiRssMiB: null,
    workerRssMiB: null,
    saturation: null,
    problems: [],
    warnings: [],
  };
  const running: RunningServer[] = [];
  let knex: Knex | undefined;
  try {
    const setup = await context.schedule.start(`${HUBSPOT_E2E}:setup`, { wait: false });
    if (!setup.ok) throw new Error(setup.reason);
    await recreateDatabase(context.postgresServerUrl, name);
    await obliterateQueues(context.redisUrl, name);
    const service = {
      root: context.root,
      databaseUrl,
      redisUrl: context.redisUrl,
      queuePrefix: name,
      cpuProfileDir: context.cpuProfileDir,
    };
    const api = await startApi({ ...service, logFile: `${context.logsDir}/api-hubspot.log` });
    running.push(api);
    const worker = await startWorker({ ...service, logFile: `${context.logsDir}/worker-hubspot.log` });
    running.push(worker);

    knex = createKnex(databaseUrl, { max: 4 });
    const users = Array.from({ length: USERS }, (_, i) => ({
      cognito_sub: `bench-${i}`,
      email: `bench-${i}@bench.example`,
      timezone: 'UTC',
    }));
    const ids = (await knex('users').insert(users).returning('id')) as Array<{ id: string }>;
    await knex('hubspot_contacts').insert(
      ids.map(({ id }, i) => ({ contact_id: FIRST_CONTACT + i, user_id: id })),
    );
    const send = await signedSender(api.url);

    const warm = await context.schedule.start(`${HUBSPOT_E2E}:warmup`, { wait: false });
    if (!warm.ok) throw new Error(warm.reason);
    const warmup = await sendAtRate(send, 1, warmupEvents, options.ratePerSecond);
    if (warmup.failed > 0)
      throw new Error(`${warmup.failed} of ${warmupEvents} warm-up events not acknowledged`);
    if (!(await drained(knex, 30_000))) throw new Error('the worker did not catch up after the warm-up');

    const start = await context.schedule.start(`${HUBSPOT_E2E}:run`);
    if (!start.ok) throw new Error(start.reason);
    result.backgroundCoresBefore = start.backgroundCores;
    result.startedAt = new Date().toISOString();
    const cpu = await CpuWindow.start({
      api: () => [api.process.pid],
      worker: () => [worker.process.pid],
      runner: () => [process.pid],
      postgres: () => backendPids(context.monitor, name),
      ...(context.redisPid === undefined ? {} : { redis: () => [context.redisPid!] }),
    });
    const sent = await sendAtRate(send, warmupEvents + 1, events, options.ratePerSecond);
    result.achievedEventsPerSec = sent.eventsPerSec;
    if (sent.failed > 0) result.problems.push(`${sent.failed} of ${events} events not acknowledged`);
    if (!(await drained(knex, 60_000))) result.problems.push('the worker did not catch up within 60 s');
    const reading = await cpu.stop();
    result.cpuCores = reading.cores;
    result.warnings.push(...noiseWarnings(reading.cores.other, context.schedule.quietCores));
    result.apiRssMiB = residentMiB(api.process.pid) ?? null;
    result.workerRssMiB = residentMiB(worker.process.pid) ?? null;
    for (const server of running) {
      if (!server.process.running) result.problems.push(`${server.name} died:\n${server.process.logTail()}`);
    }

    // The measured events only: the saturation runs below number theirs far above.
    const measured = (query: Knex.QueryBuilder) =>
      query.where('event_id', '>', warmupEvents).andWhere('event_id', '<=', warmupEvents + events);
    const rows = (await measured(knex('hubspot_events'))
      .where({ status: 'processed' })
      .select(knex.raw('extract(epoch from (processed_at - received_at)) * 1000 as ms'))) as Array<{
      ms: string;
    }>;
    const latencies = rows.map((row) => Number(row.ms)).sort((a, b) => a - b);
    result.processed = latencies.length;
    const statuses = (await measured(knex('hubspot_events'))
      .groupBy('status')
      .select('status', knex.raw('count(*)::int as n'))) as Array<{ status: string; n: number }>;
    result.statusCounts = Object.fromEntries(statuses.map((row) => [row.status, row.n]));
    const unfinished = events - (result.statusCounts.processed ?? 0) - (result.statusCounts.ignored ?? 0);
    if (unfinished > 0) {
      result.problems.push(
        `${unfinished} of ${events} events not applied (${JSON.stringify(result.statusCounts)})`,
      );
    }
    if (latencies.length > 0) {
      result.latencyMs = {
        p50: percentile(latencies, 50),
        p90: percentile(latencies, 90),
        p99: percentile(latencies, 99),
        max: latencies.at(-1)!,
      };
    }
    result.saturation = await runSaturation(context, { api, worker, database: name }, knex, {
      runs: options.saturationRuns,
      seconds: options.saturationSeconds,
      contacts: USERS,
    });
    result.apiRssMiB = residentMiB(api.process.pid) ?? result.apiRssMiB;
    result.workerRssMiB = residentMiB(worker.process.pid) ?? result.workerRssMiB;
    if (result.saturation.validRuns < options.saturationRuns)
      result.problems.push(`${options.saturationRuns - result.saturation.validRuns} saturation runs invalid`);
  } catch (error) {
    result.problems.push((error as Error).message);
  } finally {
    context.schedule.cancel(`${HUBSPOT_E2E}:`);
    context.schedule.cancel(`${HUBSPOT_SATURATION}:`);
    await knex?.destroy();
    await Promise.all(running.map((server) => server.process.stop()));
    await obliterateQueues(context.redisUrl, name).catch(() => undefined);
  }
  result.status = result.problems.length === 0 ? 'ok' : 'invalid';
  console.log(e2eLine(result));
  writeFileSync(`${context.resultsDir}/${HUBSPOT_E2E}.json`, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

function e2eLine(result: HubspotE2eResult): string {
  const ms = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(1));
  return (
    `  ${HUBSPOT_E2E}: ${result.processed}/${result.events} events at ` +
    `${result.achievedEventsPerSec?.toFixed(0) ?? '—'} events/s, ack → user row updated p50 ${ms(result.latencyMs?.p50)} ms, ` +
    `p90 ${ms(result.latencyMs?.p90)} ms, p99 ${ms(result.latencyMs?.p99)} ms` +
    `${formatCores(result.cpuCores)}${healthText(result)}`
  );
}

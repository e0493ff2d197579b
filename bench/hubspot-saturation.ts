/**
 * Issue 17's "API and worker together" figure, a part of the end-to-end phase
 * (hubspot-latency.ts), on its database, API and worker: signed one-event deliveries as
 * fast as 32 connections get them acknowledged (autocannon in its own process, closed
 * loop), while the worker applies them beside the API, as a small deployment runs
 * (`npm start`). Each run then times how long the backlog takes to go once the load
 * stops, and checks that every acknowledged event was applied.
 */
import type { Knex } from '../src/shared/db/knex.js';
import { noiseWarnings, type BenchContext, type RunHealth } from './lib/context.js';
import { CpuWindow } from './lib/cpu.js';
import { runLoad } from './lib/load.js';
import { median } from './lib/results.js';
import { backendPids } from './lib/stores.js';
import type { RequestPlan } from './request-plans.js';
import { BENCH_HUBSPOT_SECRET, type RunningServer } from './servers.js';

export const HUBSPOT_SATURATION = 'hubspot-together';
export const HUBSPOT_SATURATION_TARGETS = { minRequestsPerSec: 1000, maxP99Ms: 25, maxDrainSeconds: 5 };
const CONNECTIONS = 32;
/** Longer than any backlog a run can leave: past it the run is invalid. */
const DRAIN_TIMEOUT_MS = 60_000;

export interface SaturationRun extends RunHealth {
  index: number;
  requestsPerSec: number;
  p99Ms: number;
  /**
   * Events acknowledged (2xx responses counted by autocannon, one new event each), stored
   * (also those of the requests still in flight when the clock stopped), and applied.
   */
  acknowledged: number;
  stored: number;
  applied: number;
  /** From the load's end until no acknowledged event was left unprocessed. */
  drainSeconds: number | null;
}

export interface SaturationResult {
  runs: SaturationRun[];
  validRuns: number;
  medianRequestsPerSec: number | null;
  medianP99Ms: number | null;
  /** The slowest drain of the valid runs: the target holds for every run. */
  maxDrainSeconds: number | null;
}

export function saturationSteps(runs: number, seconds: number): Array<[string, number]> {
  return Array.from({ length: runs }, (_, i) => [`${HUBSPOT_SATURATION}:${i}`, (seconds + 12) * 1000]);
}

async function unprocessed(knex: Knex, afterEventId: number): Promise<number> {
  const [row] = (await knex('hubspot_events')
    .where({ status: 'received' })
    .andWhere('event_id', '>', afterEventId)
    .count({ n: '*' })) as Array<{ n: number | string }>;
  return Number(row?.n);
}

async function maxEventId(knex: Knex): Promise<number> {
  const [row] = (await knex('hubspot_events').max({ id: 'event_id' })) as Array<{ id: string | null }>;
  return Number(row?.id ?? 0);
}

async function measureOnce(
  context: BenchContext,
  servers: { api: RunningServer; worker: RunningServer; database: string },
  knex: Knex,
  plan: RequestPlan,
  index: number,
  seconds: number,
): Promise<SaturationRun> {
  const run: SaturationRun = {
    index,
    requestsPerSec: 0,
    p99Ms: 0,
    acknowledged: 0,
    stored: 0,
    applied: 0,
    drainSeconds: null,
    problems: [],
    warnings: [],
  };
  const step = await context.schedule.start(`${HUBSPOT_SATURATION}:${index}`);
  if (!step.ok) return { ...run, problems: [step.reason] };
  run.backgroundCoresBefore = step.backgroundCores;
  const before = await maxEventId(knex);
  let window: Promise<CpuWindow> | undefined;
  try {
    const load = await runLoad(
      { url: servers.api.url, connections: CONNECTIONS, durationSeconds: seconds, seed: index, plan },
      () => {
        window = CpuWindow.start({
          api: () => [servers.api.process.pid],
          worker: () => [servers.worker.process.pid],
          postgres: () => backendPids(context.monitor, servers.database),
          ...(context.redisPid === undefined ? {} : { redis: () => [context.redisPid!] }),
        });
      },
    );
    const loadEnded = performance.now();
    const { result } = load;
    run.requestsPerSec = result.requests.average;
    run.p99Ms = result.latency.p99;
    run.acknowledged = result['2xx'];
    if (result.errors > 0 || result.non2xx > 0)
      run.problems.push(`${result.errors} connection errors, ${result.non2xx} non-2xx responses`);
    for (;;) {
      if ((await unprocessed(knex, before)) === 0) {
        run.drainSeconds = (performance.now() - loadEnded) / 1000;
        break;
      }
      if (performance.now() - loadEnded > DRAIN_TIMEOUT_MS) {
        run.problems.push(`backlog not gone ${DRAIN_TIMEOUT_MS / 1000} s after the load`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const reading = await (
      await window!
    ).stop(load.loadCpuSeconds === undefined ? {} : { load: load.loadCpuSeconds });
    run.cpuCores = reading.cores;
    run.warnings.push(...noiseWarnings(reading.cores.other, context.schedule.quietCores));
    const [counts] = (await knex('hubspot_events')
      .where('event_id', '>', before)
      .select(
        knex.raw('count(*)::int as stored'),
        knex.raw("count(*) filter (where status in ('processed', 'ignored'))::int as applied"),
      )) as Array<{ stored: number; applied: number }>;
    run.stored = counts?.stored ?? 0;
    run.applied = counts?.applied ?? 0;
    if (run.stored < run.acknowledged)
      run.problems.push(`${run.acknowledged} events acknowledged but only ${run.stored} stored`);
    if (run.applied !== run.stored)
      run.problems.push(`${run.applied} of ${run.stored} stored events applied`);
  } catch (error) {
    run.problems.push((error as Error).message);
  }
  return run;
}

/** `runs` closed-loop runs of `seconds` each against the API, the worker applying beside it. */
export async function runSaturation(
  context: BenchContext,
  servers: { api: RunningServer; worker: RunningServer; database: string },
  knex: Knex,
  options: { runs: number; seconds: number; contacts: number },
): Promise<SaturationResult> {
  const plan: RequestPlan = {
    kind: 'hubspot-batch',
    eventsPerRequest: 1,
    secret: BENCH_HUBSPOT_SECRET,
    contacts: options.contacts,
  };
  const runs: SaturationRun[] = [];
  for (let index = 0; index < options.runs; index += 1) {
    const run = await measureOnce(context, servers, knex, plan, index, options.seconds);
    const drain = run.drainSeconds === null ? '—' : `${run.drainSeconds.toFixed(2)} s`;
    console.log(
      `  ${HUBSPOT_SATURATION} run ${index + 1}: ${run.requestsPerSec.toFixed(0)} req/s, p99 ${run.p99Ms} ms, ` +
        `${run.applied}/${run.stored} applied (${run.acknowledged} acknowledged in time), backlog gone ${drain} after the load` +
        `${run.problems.length ? ` — INVALID: ${run.problems.join('; ')}` : ''}${run.warnings.length ? ' (noisy)' : ''}`,
    );
    runs.push(run);
  }
  const valid = runs.filter((run) => run.problems.length === 0);
  return {
    runs,
    validRuns: valid.length,
    medianRequestsPerSec: median(valid.map((run) => run.requestsPerSec)),
    medianP99Ms: median(valid.map((run) => run.p99Ms)),
    maxDrainSeconds: valid.length ? Math.max(...valid.map((run) => run.drainSeconds!)) : null,
  };
}

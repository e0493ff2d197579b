import type { Knex } from 'knex';
import { Gauge, type Registry } from 'prom-client';
import type { SweepSource } from './jobs/sweep-source.js';
import type { Queues } from './jobs/queues.js';
import type { Readiness } from './readiness.js';
import { withTimeout } from './with-timeout.js';

const JOB_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'failed',
  'completed',
] as const;

/** A scrape never waits longer than this for Postgres or Redis: it answers without the figure. */
const SCRAPE_QUERY_TIMEOUT_MS = 2000;

/** What a process can read at scrape time; each part present adds its gauges. */
export interface ScrapeSources {
  /** BullMQ's queues: their depth by state, from Redis. */
  queues?: Queues;
  /** Postgres: the periodic tasks' clock (maintenance_runs), the same on every process. */
  knex?: Knex;
  /** The rows the sweeper watches (the worker's): their oldest owed work, from Postgres. */
  sweepSources?: readonly SweepSource[];
  /** The process's own readiness checks, as `/ready` runs them. */
  readiness?: Readiness;
  /** Milliseconds since the epoch; a test moves it to see a gauge cross an alert's threshold. */
  clock?: () => number;
}

/**
 * Gauges read when Prometheus scrapes, never cached in the process: what they show is
 * true of the whole deployment at that moment, even when the process that should have
 * changed it (the sweeper) has stopped. A source that does not answer in time leaves
 * its gauge empty for that scrape rather than failing `/metrics`.
 */
export function registerScrapedGauges(registry: Registry, sources: ScrapeSources): void {
  const clock = sources.clock ?? Date.now;
  const { queues, knex, sweepSources, readiness } = sources;
  if (queues)
    new Gauge({
      name: 'bullmq_queue_jobs',
      help: 'Jobs in each queue by state, read from Redis at scrape time',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        await Promise.all(
          queues.all().map(async (queue) => {
            const counts = await withTimeout(
              queue.getJobCounts(...JOB_STATES),
              SCRAPE_QUERY_TIMEOUT_MS,
            ).catch(() => undefined);
            for (const state of JOB_STATES)
              if (counts) this.set({ queue: queue.name, state }, counts[state] ?? 0);
          }),
        );
      },
    });

  if (knex)
    new Gauge({
      name: 'maintenance_last_completed_age_seconds',
      help:
        'Seconds since any worker last completed each periodic task (sweep, prune), read from ' +
        'Postgres at scrape time; +Inf when it never has',
      labelNames: ['task'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        const rows = (await withTimeout(
          knex('maintenance_runs').select(
            'task',
            knex.raw('extract(epoch from completed_at)::float8 as completed'),
          ),
          SCRAPE_QUERY_TIMEOUT_MS,
        ).catch(() => [])) as Array<{ task: string; completed: number | null }>;
        const now = clock() / 1000;
        for (const row of rows)
          this.set({ task: row.task }, row.completed === null ? Infinity : Math.max(0, now - row.completed));
      },
    });

  if (knex && sweepSources)
    new Gauge({
      name: 'sweep_backlog_oldest_age_seconds',
      help:
        'Seconds the oldest row left actionable has been owed its work, by kind of row (0 when ' +
        'none is), read from Postgres at scrape time',
      labelNames: ['kind'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        const now = clock();
        await Promise.all(
          sweepSources.map(async (source) => {
            const since = await withTimeout(source.oldestOwedSince(knex), SCRAPE_QUERY_TIMEOUT_MS).catch(
              () => undefined,
            );
            if (since === undefined) return;
            this.set({ kind: source.kind }, since ? Math.max(0, (now - since.getTime()) / 1000) : 0);
          }),
        );
      },
    });

  if (readiness)
    new Gauge({
      name: 'readiness_check_ok',
      help: "1 when each of this process's readiness checks (postgres, redis, migrations) passes, else 0",
      labelNames: ['check'] as const,
      registers: [registry],
      async collect() {
        const { checks } = await readiness.check();
        for (const [check, state] of Object.entries(checks)) this.set({ check }, state === 'ok' ? 1 : 0);
      },
    });
}

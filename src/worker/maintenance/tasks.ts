import { SWEEP_TASK } from '../../shared/db/maintenance-runs.js';
import type { WorkerContext, WorkerFeature } from '../../shared/jobs/context.js';
import { prune } from './prune.js';
import { sweep } from './sweep.js';

export const SWEEP_EVERY_MS = 30_000;
export const PRUNE_EVERY_MS = 3600_000;

/** Work the worker does on a clock rather than per row, once per period across all workers. */
export interface PeriodicTask {
  name: string;
  everyMs: number;
  /** Run at once, whatever the clock, when Redis may have lost jobs (./redis-memory.ts). */
  catchUp: boolean;
  /** Pointless while Redis is unreachable (its results would be enqueued): skipped then. */
  needsRedis: boolean;
  run(context: WorkerContext, options: { catchUp: boolean }): Promise<Record<string, number>>;
}

/** The sweep over every feature's sweep sources, and the prune of every feature's old rows. */
export function periodicTasks(features: readonly WorkerFeature[]): readonly PeriodicTask[] {
  const sweepSources = features.flatMap((feature) => feature.sweepSources);
  return [
    {
      // Re-enqueues rows left actionable. A catch-up takes every such row, not only those
      // left alone a minute: the jobs they had are gone, or were never added.
      name: SWEEP_TASK,
      everyMs: SWEEP_EVERY_MS,
      catchUp: true,
      needsRedis: true,
      run: async ({ knex, dispatcher, logger }, { catchUp }) => ({
        requeued: await sweep(knex, dispatcher, sweepSources, logger, catchUp ? { graceMs: 0 } : {}),
      }),
    },
    {
      name: 'prune',
      everyMs: PRUNE_EVERY_MS,
      catchUp: false,
      needsRedis: false,
      run: (context) => prune(context, features),
    },
  ];
}

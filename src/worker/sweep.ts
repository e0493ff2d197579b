import type { Knex } from 'knex';
import type { Logger } from '../shared/logger.js';
import type { Dispatcher, JobKey } from '../shared/queues.js';

/**
 * A kind of row that can be left needing work (SPEC §7): committed, but its job was
 * never enqueued (Redis was down) or was lost. Each feature declares its own.
 */
export interface SweepSource {
  job: JobKey;
  /** Rows in an actionable state, oldest first; `runAt` when the job must wait. */
  findActionable(knex: Knex, limit: number): Promise<Array<{ rowId: string; runAt?: Date }>>;
}

export const SWEEP_BATCH = 500;

/**
 * Re-enqueues every actionable row. Job ids are derived from row ids, so a row whose
 * job is still waiting or running is not enqueued twice.
 */
export async function sweep(
  knex: Knex,
  dispatcher: Dispatcher,
  sources: readonly SweepSource[],
  logger: Logger,
): Promise<number> {
  let total = 0;
  for (const source of sources) {
    const rows = await source.findActionable(knex, SWEEP_BATCH);
    if (rows.length === 0) continue;
    await dispatcher.redispatch(
      rows.map((row) => ({ job: source.job, rowId: row.rowId, ...(row.runAt ? { runAt: row.runAt } : {}) })),
    );
    total += rows.length;
    logger.debug({ job: source.job, rows: rows.length }, 'sweeper re-enqueued rows');
  }
  return total;
}

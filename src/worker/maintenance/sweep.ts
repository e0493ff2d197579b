import type { Knex } from 'knex';
import type { Logger } from '../../shared/logger.js';
import type { Dispatcher } from '../../shared/jobs/dispatcher.js';
import type { SweepSource } from '../../shared/jobs/sweep-source.js';

export const SWEEP_PAGE = 500;
/** Pages per source and sweep: a backlog larger than this is finished by the next sweeps. */
export const SWEEP_MAX_PAGES = 20;
/** A regular sweep leaves rows younger than this to their own job. */
export const SWEEP_GRACE_MS = 60_000;

export interface SweepOptions {
  /**
   * How long a row must have been left alone before it is swept. A catch-up after
   * Redis lost its data or its connection uses 0: every actionable row at once.
   */
  graceMs?: number;
  pageSize?: number;
  now?: Date;
}

/**
 * Re-enqueues every actionable row. Job ids are derived from row ids, so a row whose
 * job is still waiting or running is not enqueued twice. Returns the rows re-enqueued.
 */
export async function sweep(
  knex: Knex,
  dispatcher: Dispatcher,
  sources: ReadonlyArray<Pick<SweepSource, 'job' | 'findActionable'>>,
  logger: Logger,
  options: SweepOptions = {},
): Promise<number> {
  const limit = options.pageSize ?? SWEEP_PAGE;
  const touchedBefore = new Date((options.now ?? new Date()).getTime() - (options.graceMs ?? SWEEP_GRACE_MS));
  let total = 0;
  for (const source of sources) {
    let after: string | undefined;
    let swept = 0;
    for (let page = 0; page < SWEEP_MAX_PAGES; page += 1) {
      const rows = await source.findActionable(knex, { limit, touchedBefore, ...(after ? { after } : {}) });
      if (rows.length === 0) break;
      await dispatcher.redispatch(
        rows.map((row) => ({
          job: source.job,
          rowId: row.rowId,
          ...(row.runAt ? { runAt: row.runAt } : {}),
        })),
      );
      swept += rows.length;
      if (rows.length < limit) break;
      after = rows[rows.length - 1]!.cursor;
    }
    if (swept > 0) logger.debug({ job: source.job.name, rows: swept }, 'sweeper re-enqueued rows');
    total += swept;
  }
  return total;
}

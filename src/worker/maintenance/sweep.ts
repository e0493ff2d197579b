import type { Knex } from 'knex';
import type { Logger } from '../../shared/logger.js';
import type { Dispatcher, JobKey } from '../../shared/jobs/queues.js';

/** One row left needing work, with where the next page starts after it. */
export interface ActionableRow {
  rowId: string;
  /** When the job must run (e.g. a reminder's hand-over time); now when absent. */
  runAt?: Date;
  /** Opaque position of this row in its source's order: the next page starts after it. */
  cursor: string;
}

export interface SweepPage {
  limit: number;
  /** The last row's cursor of the previous page; absent for the first page. */
  after?: string;
  /** Rows touched after this are left alone: their own job was enqueued moments ago. */
  touchedBefore: Date;
}

/**
 * A kind of row that can be left needing work: committed, but its job was never
 * enqueued (Redis was down) or was lost (Redis lost its data). Each feature declares
 * its own in sweep-sources.ts.
 */
export interface SweepSource {
  job: JobKey;
  /** One page of rows in an actionable state, in a stable order. */
  findActionable(knex: Knex, page: SweepPage): Promise<ActionableRow[]>;
}

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
  sources: readonly SweepSource[],
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
    if (swept > 0) logger.debug({ job: source.job, rows: swept }, 'sweeper re-enqueued rows');
    total += swept;
  }
  return total;
}

/**
 * The usual source: rows of `table` in `status`, oldest first by `orderBy` then id,
 * touched (`touchedAt`) before the grace. The cursor carries `orderBy` as Postgres's own
 * text, so microseconds survive the round trip (a JS Date would cut them and repeat rows).
 */
export function actionableRows(spec: {
  table: string;
  status: string;
  orderBy: string;
  touchedAt: string;
  where?: (query: Knex.QueryBuilder, knex: Knex) => Knex.QueryBuilder;
}): (knex: Knex, page: SweepPage) => Promise<Array<ActionableRow & { at: Date }>> {
  return async (knex, { limit, after, touchedBefore }) => {
    let query = knex(spec.table)
      .where({ status: spec.status })
      .where(spec.touchedAt, '<', touchedBefore)
      .orderBy(spec.orderBy)
      .orderBy('id')
      .limit(limit)
      .select('id', `${spec.orderBy} as at`, knex.raw('??::text as "order"', [spec.orderBy]));
    if (spec.where) query = spec.where(query, knex);
    if (after) {
      const { order, id } = JSON.parse(after) as { order: string; id: string };
      // The first condition lets an index on `orderBy` alone bound the scan.
      query = query
        .where(spec.orderBy, '>=', knex.raw('?::timestamptz', [order]))
        .whereRaw('(??, id) > (?::timestamptz, ?)', [spec.orderBy, order, id]);
    }
    const rows = (await query) as Array<{ id: string; at: Date; order: string }>;
    return rows.map((row) => ({
      rowId: row.id,
      at: row.at,
      cursor: JSON.stringify({ order: row.order, id: row.id }),
    }));
  };
}

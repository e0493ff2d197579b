import type { Knex } from 'knex';
import type { JobDefinition } from './queues.js';

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
 * its own (`<feature>/worker.ts`).
 */
export interface SweepSource {
  /** Names the kind of row in metrics (`sweep_backlog_oldest_age_seconds{kind}`). */
  kind: string;
  job: JobDefinition;
  /** One page of rows in an actionable state, in a stable order. */
  findActionable(knex: Knex, page: SweepPage): Promise<ActionableRow[]>;
  /**
   * Since when the oldest actionable row has been owed its work (null when none is):
   * what the backlog alert watches (docs/runbook.md#alerts).
   */
  oldestOwedSince(knex: Knex): Promise<Date | null>;
}

/** How one kind of row is found: what actionableRows needs. */
export interface ActionableSpec {
  table: string;
  /** The status of an actionable row; absent when `where` alone says which rows are. */
  status?: string;
  /** The row's key, the job's row id (default `id`). */
  key?: string;
  orderBy: string;
  touchedAt: string;
  /**
   * SQL for when an actionable row's work became owed (default `touchedAt`): e.g. a
   * reminder is owed from the start of OneSignal's window, not from when it was written.
   */
  owedSince?: string;
  where?: (query: Knex.QueryBuilder, knex: Knex) => Knex.QueryBuilder;
}

const actionable = (knex: Knex, spec: ActionableSpec): Knex.QueryBuilder => {
  const query = knex(spec.table).modify(
    (rows) => void (spec.status === undefined ? rows : rows.where({ status: spec.status })),
  );
  return spec.where ? spec.where(query, knex) : query;
};

/** `oldestOwedSince` for rows found by `spec`: one aggregate over the actionable rows. */
export function oldestOwed(spec: ActionableSpec): SweepSource['oldestOwedSince'] {
  return async (knex) => {
    const since = spec.owedSince
      ? knex.raw(`min(${spec.owedSince}) as since`)
      : knex.raw('min(??) as since', [spec.touchedAt]);
    const row = (await actionable(knex, spec).first(since)) as { since: Date | null } | undefined;
    return row?.since ?? null;
  };
}

/**
 * The usual source: rows of `table` in `status`, oldest first by `orderBy` then their key,
 * touched (`touchedAt`) before the grace. The cursor carries `orderBy` as Postgres's own
 * text, so microseconds survive the round trip (a JS Date would cut them and repeat rows).
 */
export function actionableRows(
  spec: ActionableSpec,
): (knex: Knex, page: SweepPage) => Promise<Array<ActionableRow & { at: Date }>> {
  const key = spec.key ?? 'id';
  return async (knex, { limit, after, touchedBefore }) => {
    let query = actionable(knex, spec)
      .where(spec.touchedAt, '<', touchedBefore)
      .orderBy(spec.orderBy)
      .orderBy(key)
      .limit(limit)
      .select(`${key} as id`, `${spec.orderBy} as at`, knex.raw('??::text as "order"', [spec.orderBy]));
    if (after) {
      const { order, id } = JSON.parse(after) as { order: string; id: string };
      // The first condition lets an index on `orderBy` alone bound the scan.
      query = query
        .where(spec.orderBy, '>=', knex.raw('?::timestamptz', [order]))
        .whereRaw('(??, ??) > (?::timestamptz, ?)', [spec.orderBy, key, order, id]);
    }
    const rows = (await query) as Array<{ id: string; at: Date; order: string }>;
    return rows.map((row) => ({
      rowId: row.id,
      at: row.at,
      cursor: JSON.stringify({ order: row.order, id: row.id }),
    }));
  };
}

/** A source whose rows are found, and aged, by `spec` alone. */
export function sweepSource(kind: string, job: JobDefinition, spec: ActionableSpec): SweepSource {
  return { kind, job, findActionable: actionableRows(spec), oldestOwedSince: oldestOwed(spec) };
}

import type { Knex } from 'knex';

/**
 * The periodic tasks' clock (maintenance_runs, decision record 008): every statement on
 * the table. Workers claim runs; anything that fails to enqueue asks for a catch-up.
 */

/** A run claimed by this process; `catchUp` when one was asked for since the last run. */
export interface ClaimedRun {
  catchUp: boolean;
}

/**
 * Claims the next run of a periodic task for one worker process: when the task last
 * started at least `everyMs` ago (or never), when a catch-up was asked for since, or at
 * once with `force`. The row is locked while it is read and written, so of N workers
 * looking at once exactly one wins a period. Undefined when the run is not this one's.
 */
export async function claimRun(
  knex: Knex,
  task: string,
  everyMs: number,
  startedBy: string,
  force = false,
): Promise<ClaimedRun | undefined> {
  const claim = async () => {
    const { rows } = (await knex.raw(
      `update maintenance_runs runs set started_at = now(), started_by = ?
       from (select task, started_at, catch_up_requested_at from maintenance_runs where task = ? for update) previous
       where runs.task = previous.task
         and (? or previous.started_at <= now() - make_interval(secs => ?)
              or previous.catch_up_requested_at > previous.started_at)
       returning coalesce(previous.catch_up_requested_at > previous.started_at, false) as catch_up`,
      [startedBy, task, force, everyMs / 1000],
    )) as { rows: Array<{ catch_up: boolean }> };
    return rows[0] ? { catchUp: rows[0].catch_up } : undefined;
  };
  const claimed = await claim();
  if (claimed) return claimed;
  // Never run before: the first to insert the row has the first run (and a forced
  // claim that lost that race claims the row now there).
  const inserted = await knex('maintenance_runs')
    .insert({ task, started_at: knex.fn.now(), started_by: startedBy })
    .onConflict('task')
    .ignore()
    .returning('task');
  if (inserted.length > 0) return { catchUp: false };
  return force ? claim() : undefined;
}

/** Records that a run this process claimed has completed. */
export async function recordCompletion(knex: Knex, task: string, startedBy: string): Promise<void> {
  await knex('maintenance_runs')
    .where({ task, started_by: startedBy })
    .update({ completed_at: knex.fn.now() });
}

/**
 * Asks the workers for a catch-up sweep (every actionable row, at their next look, once
 * Redis answers): an enqueue failed, so a committed row has no job.
 */
export async function requestCatchUp(knex: Knex, task: string): Promise<void> {
  await knex('maintenance_runs')
    .insert({
      task,
      started_at: knex.raw("'-infinity'"),
      started_by: 'nobody yet',
      catch_up_requested_at: knex.fn.now(),
    })
    .onConflict('task')
    .merge({ catch_up_requested_at: knex.fn.now() });
}

/** The sweep: the task a failed enqueue asks to run early. */
export const SWEEP_TASK = 'sweep';

/**
 * What the dispatcher calls when an enqueue fails: asks for a catch-up sweep, at most
 * once a second per process (a Redis outage fails every request's enqueue), never
 * throwing. A failure within the second after an ask is not dropped: it asks once more
 * at the second's end, because a catch-up sweep may have started since the last ask (a
 * failover noticed) and missed the rows committed after its query. If Postgres is away
 * too, the regular sweep still finds the rows.
 */
export function catchUpRequester(knex: Knex, onError: (error: unknown) => void): () => void {
  let lastAskedAt = 0;
  let trailing: NodeJS.Timeout | undefined;
  const ask = () => {
    lastAskedAt = Date.now();
    requestCatchUp(knex, SWEEP_TASK).catch(onError);
  };
  return () => {
    const wait = lastAskedAt + 1000 - Date.now();
    if (wait <= 0) return ask();
    trailing ??= setTimeout(() => {
      trailing = undefined;
      ask();
    }, wait);
    trailing.unref();
  };
}

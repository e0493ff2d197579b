import type { Knex } from 'knex';

/**
 * Claims the next run of a periodic task for one worker process: true when the task
 * last started at least `everyMs` ago (or never), and the row now says this process
 * started it. One statement, so of N workers ticking at once exactly one wins a period.
 * `force` claims at once (a catch-up after Redis lost its data).
 */
export async function claimRun(
  knex: Knex,
  task: string,
  everyMs: number,
  startedBy: string,
  force = false,
): Promise<boolean> {
  const { rows } = (await knex.raw(
    `insert into maintenance_runs (task, started_at, started_by) values (?, now(), ?)
     on conflict (task) do update set started_at = now(), started_by = excluded.started_by
       where ? or maintenance_runs.started_at <= now() - make_interval(secs => ?)
     returning task`,
    [task, startedBy, force, everyMs / 1000],
  )) as { rows: unknown[] };
  return rows.length === 1;
}

/** Records that a run this process claimed has completed. */
export async function recordCompletion(knex: Knex, task: string, startedBy: string): Promise<void> {
  await knex('maintenance_runs')
    .where({ task, started_by: startedBy })
    .update({ completed_at: knex.fn.now() });
}

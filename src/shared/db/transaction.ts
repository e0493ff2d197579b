import type { Knex } from 'knex';
import type { Dispatcher } from '../jobs/dispatcher.js';
import type { JobRequest } from '../jobs/queues.js';

/**
 * Runs `work` in one transaction and enqueues the jobs it asked for only after the
 * commit (docs/dispatch.md#jobs-after-commit): a job never sees a row that is not there, and a rollback
 * enqueues nothing.
 */
export async function commitThenDispatch<T>(
  knex: Knex,
  dispatcher: Dispatcher,
  work: (trx: Knex.Transaction, jobs: JobRequest[]) => Promise<T>,
): Promise<T> {
  const jobs: JobRequest[] = [];
  const result = await knex.transaction((trx) => work(trx, jobs));
  if (jobs.length > 0) await dispatcher.dispatch(jobs);
  return result;
}

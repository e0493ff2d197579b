import type { Job } from 'bullmq';
import type { Knex } from 'knex';
import { errorMessage, isLastAttempt } from '../shared/jobs/attempts.js';
import type { Processor, WorkerContext } from '../shared/jobs/context.js';
import { processEvent, type StoredEvent } from './process-event.js';
import type { JobData, JobRequest } from '../shared/jobs/queues.js';

/**
 * Processes one stored HubSpot event (docs/hubspot.md#processing). The event row is locked and re-read,
 * so a duplicate job does nothing once it is processed; its effects and its status
 * commit together. Failures retry with backoff, then leave it `failed` for ops.
 */
async function processStoredEvent(
  job: Job<JobData>,
  { knex, config }: Pick<WorkerContext, 'knex' | 'config'>,
  rowId: string,
  jobs: JobRequest[],
): Promise<string> {
  // This event's jobs join the delivery's only once its transaction has committed.
  const eventJobs: JobRequest[] = [];
  try {
    const status = await knex.transaction(async (trx: Knex.Transaction) => {
      const event = (await trx('hubspot_events').where({ id: rowId }).forUpdate().first()) as
        (StoredEvent & { status: string }) | undefined;
      if (!event || event.status !== 'received') return event?.status ?? 'missing';
      const status = await processEvent(trx, event, config.HUBSPOT_PROPERTY_MAP, eventJobs);
      await trx('hubspot_events')
        .where({ id: event.id })
        .update({
          status,
          attempts: job.attemptsMade + 1,
          last_error: null,
          // clock_timestamp(), not now(): when the work was done, not when the transaction began.
          processed_at: trx.raw('clock_timestamp()'),
        });
      return status;
    });
    jobs.push(...eventJobs);
    return status;
  } catch (error) {
    // Retried even when a value does not validate: a later event (or a fix in our data,
    // such as a dentist created meanwhile) can make it apply. After the last attempt it
    // stays `failed` until ops replay it.
    await knex('hubspot_events')
      .where({ id: rowId, status: 'received' })
      .update({
        attempts: job.attemptsMade + 1,
        last_error: errorMessage(error),
        ...(isLastAttempt(job) ? { status: 'failed' } : {}),
      });
    throw error;
  }
}

/**
 * The events of one delivery, in order, each in its own transaction: one event that
 * fails does not hold back the others. The job then fails so that the failed ones are
 * retried; the ones already processed are skipped on the retry (their status says so).
 */
export const processHubspotEvent: Processor = async (job, context) => {
  const jobs: JobRequest[] = [];
  const outcomes: Record<string, string> = {};
  let firstError: unknown;
  for (const rowId of job.data.rowIds ?? [job.data.rowId]) {
    try {
      outcomes[rowId] = await processStoredEvent(job, context, rowId, jobs);
    } catch (error) {
      firstError ??= error;
      outcomes[rowId] = 'error';
    }
  }
  await context.dispatcher.dispatch(jobs);
  if (firstError !== undefined) throw firstError;
  const statuses = Object.values(outcomes);
  return statuses.length === 1 ? { status: statuses[0] } : { statuses: outcomes };
};

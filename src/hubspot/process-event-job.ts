import type { Job } from 'bullmq';
import type { Knex } from 'knex';
import { errorMessage, isLastAttempt } from '../shared/jobs/attempts.js';
import type { Processor } from '../shared/jobs/context.js';
import { processEvent, type StoredEvent } from './process-event.js';
import type { JobData, JobRequest } from '../shared/jobs/queues.js';

type LockedEvent = StoredEvent & { status: string };

// The statuses of the events applied, in one statement; they commit with the effects.
const MARK_APPLIED = `
  update hubspot_events h
     set status = u.status, attempts = ?, last_error = null,
         -- clock_timestamp(), not now(): when the work was done, not when the transaction began.
         processed_at = clock_timestamp()
    from unnest(?::uuid[], ?::text[]) as u(id, status)
   where h.id = u.id`;

/**
 * The job's events still to apply, contact by contact (a job's events keep their order
 * within each contact): every job takes contacts' locks in the same order, so two jobs
 * cannot deadlock on them. Across contacts order never mattered (docs/hubspot.md#ordering).
 */
function inLockOrder(events: LockedEvent[], rowIds: readonly string[]): LockedEvent[] {
  const position = new Map(rowIds.map((id, index) => [id, index]));
  return events
    .filter((event) => event.status === 'received')
    .sort((a, b) => a.object_id - b.object_id || position.get(a.id)! - position.get(b.id)!);
}

/**
 * Applies a job's events in one transaction (docs/hubspot.md#processing): their rows
 * are locked and re-read in one statement (an event already processed is skipped, so a
 * duplicate job does nothing), each event is applied under a savepoint of its own, and
 * the statuses are written together and commit with the effects: one commit per job,
 * not per event. An event that fails is rolled back to its savepoint alone; the others
 * still commit. Returns the outcome of each row, and the failures.
 */
async function applyEvents(
  job: Job<JobData>,
  knex: Knex,
  propertyMap: Parameters<typeof processEvent>[2],
  rowIds: readonly string[],
  jobs: JobRequest[],
): Promise<{ outcomes: Record<string, string>; failures: Map<string, unknown> }> {
  const outcomes: Record<string, string> = {};
  const failures = new Map<string, unknown>();
  const appliedJobs = await knex.transaction(async (trx: Knex.Transaction) => {
    const events = (await trx('hubspot_events')
      .whereIn('id', rowIds)
      .forUpdate()
      .select('*')) as LockedEvent[];
    for (const id of rowIds) outcomes[id] = 'missing';
    for (const event of events) outcomes[event.id] = event.status;
    const applied: Array<{ id: string; status: string }> = [];
    const eventsJobs: JobRequest[] = [];
    for (const event of inLockOrder(events, rowIds)) {
      // This event's jobs join the job's only if its savepoint was released.
      const eventJobs: JobRequest[] = [];
      try {
        const status = await trx.transaction((savepoint) =>
          processEvent(savepoint, event, propertyMap, eventJobs),
        );
        applied.push({ id: event.id, status });
        eventsJobs.push(...eventJobs);
        outcomes[event.id] = status;
      } catch (error) {
        failures.set(event.id, error);
        outcomes[event.id] = 'error';
      }
    }
    if (applied.length > 0) {
      await trx.raw(MARK_APPLIED, [
        job.attemptsMade + 1,
        applied.map(({ id }) => id),
        applied.map(({ status }) => status),
      ]);
    }
    return eventsJobs;
  });
  // Only once the transaction has committed do the applied events' jobs join the job's.
  jobs.push(...appliedJobs);
  return { outcomes, failures };
}

/**
 * Processes a job's stored HubSpot events (one delivery's, or a group's: src/hubspot/
 * store-events.ts). One event that fails does not hold back the others. The job then
 * fails so that the failed ones are retried with backoff; the ones already processed
 * are skipped on the retry (their status says so). After the last attempt a failed
 * event is `failed`, for ops to replay. A failure of the whole transaction (the
 * database lost) counts for every event of the job.
 */
export const processHubspotEvent: Processor = async (job, { knex, config, dispatcher, metrics }) => {
  const rowIds = job.data.rowIds ?? [job.data.rowId];
  const jobs: JobRequest[] = [];
  let outcome: Awaited<ReturnType<typeof applyEvents>>;
  try {
    outcome = await applyEvents(job, knex, config.HUBSPOT_PROPERTY_MAP, rowIds, jobs);
  } catch (error) {
    outcome = { outcomes: {}, failures: new Map(rowIds.map((id) => [id, error])) };
  }
  const { outcomes, failures } = outcome;
  // Retried even when a value does not validate: a later event (or a fix in our data,
  // such as a dentist created meanwhile) can make it apply.
  for (const [rowId, error] of failures) {
    const updated = await knex('hubspot_events')
      .where({ id: rowId, status: 'received' })
      .update({
        attempts: job.attemptsMade + 1,
        last_error: errorMessage(error),
        ...(isLastAttempt(job) ? { status: 'failed' } : {}),
      });
    if (isLastAttempt(job)) metrics.hubspotEventsFailed.inc(updated);
  }
  await dispatcher.dispatch(jobs);
  const [firstFailure] = failures.values();
  if (failures.size > 0) throw firstFailure;
  const statuses = Object.values(outcomes);
  return statuses.length === 1 ? { status: statuses[0] } : { statuses: outcomes };
};

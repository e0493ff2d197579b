import { errorMessage, isLastAttempt } from '../job-attempts.js';
import type { Processor } from '../context.js';
import { processEvent, type StoredEvent } from '../../shared/hubspot/process-event.js';

/**
 * Processes one stored HubSpot event (SPEC §6). The event row is locked and re-read,
 * so a duplicate job does nothing once it is processed; its effects and its status
 * commit together. Failures retry with backoff, then leave it `failed` for ops.
 */
export const processHubspotEvent: Processor = async (job, { knex, config, dispatcher }) => {
  const jobs: Parameters<typeof dispatcher.dispatch>[0] = [];
  try {
    const outcome = await knex.transaction(async (trx) => {
      const event = (await trx('hubspot_events').where({ id: job.data.rowId }).forUpdate().first()) as
        (StoredEvent & { status: string }) | undefined;
      if (!event || event.status !== 'received') return event?.status ?? 'missing';
      const status = await processEvent(trx, event, config.HUBSPOT_PROPERTY_MAP, jobs);
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
    await dispatcher.dispatch(jobs);
    return { status: outcome };
  } catch (error) {
    // Retried even when a value does not validate: a later event (or a fix in our data,
    // such as a dentist created meanwhile) can make it apply. After the last attempt it
    // stays `failed` until ops replay it.
    await knex('hubspot_events')
      .where({ id: job.data.rowId, status: 'received' })
      .update({
        attempts: job.attemptsMade + 1,
        last_error: errorMessage(error),
        ...(isLastAttempt(job) ? { status: 'failed' } : {}),
      });
    throw error;
  }
};

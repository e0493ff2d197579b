import type { Knex } from 'knex';
import { deleteExpiredIdempotencyKeys } from '../../shared/db/idempotency-keys.js';
import type { WorkerContext } from '../../shared/jobs/context.js';
import { discardAbandonedUploads } from '../../photos/abandoned-uploads.js';

/** Processed and ignored HubSpot events are kept 30 days (issue 7), then pruned. */
export const HUBSPOT_EVENT_RETENTION_DAYS = 30;
const BATCH = 5000;

/** Deletes in batches so one run never holds a long lock or a huge transaction. */
export async function pruneHubspotEvents(knex: Knex, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - HUBSPOT_EVENT_RETENTION_DAYS * 24 * 3600_000);
  let total = 0;
  for (;;) {
    const deleted = await knex('hubspot_events')
      .whereIn(
        'id',
        knex('hubspot_events')
          .select('id')
          .whereIn('status', ['processed', 'ignored'])
          .where('received_at', '<', cutoff)
          .limit(BATCH),
      )
      .delete();
    total += deleted;
    if (deleted < BATCH) return total;
  }
}

/**
 * Retention housekeeping, run hourly by the maintenance loop (./tasks.ts): HubSpot
 * events (30 days), Idempotency-Keys (24 h), abandoned uploads (a day after their window).
 */
export async function prune({
  knex,
  dispatcher,
  logger,
}: Pick<WorkerContext, 'knex' | 'dispatcher' | 'logger'>): Promise<Record<string, number>> {
  const hubspotEvents = await pruneHubspotEvents(knex);
  const idempotencyKeys = await deleteExpiredIdempotencyKeys(knex);
  const abandonedUploads = await discardAbandonedUploads(knex, dispatcher);
  if (hubspotEvents + idempotencyKeys + abandonedUploads > 0)
    logger.info(
      {
        hubspot_events: hubspotEvents,
        idempotency_keys: idempotencyKeys,
        abandoned_uploads: abandonedUploads,
      },
      'pruned old rows',
    );
  return { hubspotEvents, idempotencyKeys, abandonedUploads };
}

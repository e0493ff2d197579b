import type { Knex } from 'knex';

/** Processed and ignored HubSpot events are kept 30 days (docs/hubspot.md#processing), then pruned. */
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

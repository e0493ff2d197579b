import type { Knex } from 'knex';
import { commitThenDispatch } from '../../../shared/db/transaction.js';
import type { Dispatcher } from '../../../shared/queues.js';
import type { HubSpotEvent } from './schema.js';

/**
 * Stores a batch durably in one statement, skipping events already stored (same
 * dedupe key, including twice in one batch), then enqueues the new ones after the
 * commit. Returns how many were new and how many were duplicates.
 */
export async function storeEvents(
  knex: Knex,
  dispatcher: Dispatcher,
  events: HubSpotEvent[],
): Promise<{ received: number; duplicates: number }> {
  if (events.length === 0) return { received: 0, duplicates: 0 };
  const inserted = await commitThenDispatch(knex, dispatcher, async (trx, jobs) => {
    const rows = (await trx('hubspot_events')
      .insert(
        events.map((event) => ({
          portal_id: event.portalId,
          subscription_id: event.subscriptionId,
          event_id: event.eventId,
          object_id: event.objectId,
          occurred_at: event.occurredAt,
          subscription_type: event.subscriptionType,
          property_name: event.propertyName ?? null,
          property_value: event.propertyValue ?? null,
          payload: JSON.stringify(event),
        })),
      )
      .onConflict(['portal_id', 'subscription_id', 'event_id', 'object_id', 'occurred_at'])
      .ignore()
      .returning('id')) as Array<{ id: string }>;
    for (const { id } of rows) jobs.push({ job: 'processHubspotEvent', rowId: id });
    return rows.length;
  });
  return { received: events.length, duplicates: events.length - inserted };
}

import { processHubspotEventJob } from './jobs.js';
import type { Knex } from 'knex';
import { prepared } from '../shared/db/prepared.js';
import type { Dispatcher } from '../shared/jobs/dispatcher.js';
import type { HubSpotEvent } from './schema.js';

/**
 * `value` with every NUL character replaced by U+FFFD. Postgres text and jsonb cannot
 * hold NUL, and refusing the delivery would lose its other events (HubSpot does not
 * retry a 4xx); a NUL in a CRM value is garbage in any case. Bodies are at most 64
 * levels deep (body.ts), so the recursion is bounded.
 */
function withoutNul<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('\u0000', '\uFFFD') as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [withoutNul(key), withoutNul(item)]),
    ) as T;
  return value;
}

/** The `hubspot_events` row of an event as HubSpot sent it (its whole body kept as `payload`). */
export function eventRow(event: HubSpotEvent) {
  return {
    portal_id: event.portalId,
    subscription_id: event.subscriptionId,
    event_id: event.eventId,
    object_id: event.objectId,
    occurred_at: event.occurredAt,
    subscription_type: event.subscriptionType,
    property_name: event.propertyName ?? null,
    property_value: event.propertyValue ?? null,
    payload: JSON.stringify(event),
  };
}

type EventRow = ReturnType<typeof eventRow>;

/** The columns eventRow fills, with their types: the statement below binds one array per column. */
const EVENT_COLUMN_TYPES = {
  portal_id: 'bigint',
  subscription_id: 'bigint',
  event_id: 'bigint',
  object_id: 'bigint',
  occurred_at: 'bigint',
  subscription_type: 'text',
  property_name: 'text',
  property_value: 'text',
  payload: 'jsonb',
} as const satisfies Record<keyof EventRow, string>;

const EVENT_COLUMNS = Object.keys(EVENT_COLUMN_TYPES) as Array<keyof EventRow>;

// One text for any batch size (an array per column, not a placeholder per value), so
// it is prepared once per connection (db/prepared.ts), and Postgres parses 9
// parameters for a 100-event delivery instead of 900 (bench: hubspot-ack-100).
const INSERT_EVENTS = `insert into hubspot_events (${EVENT_COLUMNS.join(', ')})
  select * from unnest(${EVENT_COLUMNS.map((column) => `?::${EVENT_COLUMN_TYPES[column]}[]`).join(', ')})
  on conflict (portal_id, subscription_id, event_id, object_id, occurred_at) do nothing
  returning id`;

/**
 * Stores a batch durably in one statement, skipping events already stored (same
 * dedupe key, including twice in one batch), then enqueues the new ones after the
 * commit, as one job. Returns how many were new and how many were duplicates.
 *
 * One INSERT is atomic on its own: run outside an explicit transaction it commits
 * as it returns, in one round trip instead of three (BEGIN, INSERT, COMMIT), which
 * is most of what an acknowledgement costs (bench: hubspot-ack-1).
 */
export async function storeEvents(
  knex: Knex,
  dispatcher: Dispatcher,
  events: HubSpotEvent[],
): Promise<{ received: number; duplicates: number }> {
  if (events.length === 0) return { received: 0, duplicates: 0 };
  const storable = events.map(withoutNul);
  const eventRows = storable.map(eventRow);
  const { rows } = (await prepared(
    'store_hubspot_events',
    knex.raw(
      INSERT_EVENTS,
      // knex's types know no array holding nulls; pg writes a null element as NULL.
      EVENT_COLUMNS.map((column) => eventRows.map((row) => row[column]) as string[]),
    ),
  )) as { rows: Array<{ id: string }> };
  // One job for the delivery's new events (docs/dispatch.md still holds per row: the sweeper
  // enqueues any row left unprocessed on its own).
  const [first] = rows;
  if (first) {
    await dispatcher.dispatch([
      { job: processHubspotEventJob, rowId: first.id, rowIds: rows.map(({ id }) => id) },
    ]);
  }
  return { received: events.length, duplicates: events.length - rows.length };
}

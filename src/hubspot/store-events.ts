import { processHubspotEventJob } from './jobs.js';
import type { Knex } from 'knex';
import { problemFromDatabaseError } from '../api/errors/database-errors.js';
import { GroupCommit } from '../shared/batching/group-commit.js';
import { prepared } from '../shared/db/prepared.js';
import type { Dispatcher } from '../shared/jobs/dispatcher.js';
import type { HubSpotEvent } from './schema.js';

/** One webhook request: its events as validated, and the JSON text they were read from. */
export interface Delivery {
  events: HubSpotEvent[];
  rawBody: string;
}

export interface Acknowledgement {
  received: number;
  duplicates: number;
}

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

/**
 * The JSON text a delivery is stored from: the body as HubSpot sent it (validated, so
 * an array of events), which Postgres reads itself. JSON cannot carry a raw NUL, only
 * the escape `\u0000`, so a body without that escape has none; the rare one with it is
 * rebuilt without.
 */
function storableJson(delivery: Delivery): string {
  return delivery.rawBody.includes('\\u0000')
    ? JSON.stringify(withoutNul(delivery.events))
    : delivery.rawBody;
}

/**
 * Every event of every delivery (one JSON array of the deliveries' arrays) stored in one
 * statement, skipping events already stored (the dedupe key, docs/hubspot.md
 * #acknowledgement; a duplicate within the group too); returns the new rows' ids with the
 * first delivery that carried each, in the order they were sent. Postgres reads the fields out of the JSON itself, so
 * no event is rebuilt, serialised or escaped in Node (bench: hubspot-ack-100); the whole
 * event is kept as `payload`, as received. `(… -> 'x')::bigint` takes `1.0` and `1e3` as
 * JSON.parse did.
 */
const INSERT_DELIVERIES = `
  with incoming as (
    select d.delivery::int as delivery, e.position,
           (e.event -> 'portalId')::bigint as portal_id,
           (e.event -> 'subscriptionId')::bigint as subscription_id,
           (e.event -> 'eventId')::bigint as event_id,
           (e.event -> 'objectId')::bigint as object_id,
           (e.event -> 'occurredAt')::bigint as occurred_at,
           e.event ->> 'subscriptionType' as subscription_type,
           e.event ->> 'propertyName' as property_name,
           e.event ->> 'propertyValue' as property_value,
           e.event as payload
      from jsonb_array_elements(?::jsonb) with ordinality as d(body, delivery),
           jsonb_array_elements(d.body) with ordinality as e(event, position)
  ), stored as (
    insert into hubspot_events (portal_id, subscription_id, event_id, object_id, occurred_at,
                                subscription_type, property_name, property_value, payload)
    select portal_id, subscription_id, event_id, object_id, occurred_at,
           subscription_type, property_name, property_value, payload
      from incoming
    on conflict (portal_id, subscription_id, event_id, object_id, occurred_at) do nothing
    returning id, portal_id, subscription_id, event_id, object_id, occurred_at
  )
  select stored.id, min(incoming.delivery) as delivery
    from stored
    join incoming using (portal_id, subscription_id, event_id, object_id, occurred_at)
   group by stored.id
   order by min(incoming.delivery), min(incoming.position)`;

/**
 * Stores deliveries durably in one statement, then enqueues their new events after the
 * commit, as one job. One INSERT is atomic on its own: run outside an explicit
 * transaction it commits as it returns, in one round trip instead of three (BEGIN,
 * INSERT, COMMIT). Returns each delivery's acknowledgement, in order.
 */
export async function storeDeliveries(
  knex: Knex,
  dispatcher: Dispatcher,
  deliveries: readonly Delivery[],
): Promise<Acknowledgement[]> {
  const { rows } = (await prepared(
    'store_hubspot_deliveries',
    knex.raw(INSERT_DELIVERIES, [`[${deliveries.map(storableJson).join(',')}]`]),
  )) as { rows: Array<{ id: string; delivery: number }> };
  const stored = deliveries.map(() => 0);
  for (const row of rows) stored[row.delivery - 1]! += 1;
  // One job for the group's new events (docs/dispatch.md still holds per row: the sweeper
  // enqueues any row left unprocessed on its own).
  const [first] = rows;
  if (first) {
    await dispatcher.dispatch([
      { job: processHubspotEventJob, rowId: first.id, rowIds: rows.map(({ id }) => id) },
    ]);
  }
  return deliveries.map((delivery, index) => ({
    received: delivery.events.length,
    duplicates: delivery.events.length - stored[index]!,
  }));
}

/** At most this many events in one statement: ten of HubSpot's largest deliveries. */
const MAX_EVENTS_PER_STATEMENT = 1000;
/**
 * Statements in flight at once. Two keep Postgres busy while Node prepares the next
 * group, and leave the pool's other connections to the other routes.
 */
const MAX_STATEMENTS_IN_FLIGHT = 2;

/**
 * The deliveries of concurrent webhook requests stored together (group commit,
 * src/shared/batching/group-commit.ts): one statement and one enqueue for all the
 * deliveries that arrive while the previous statement runs. Each request is still
 * acknowledged only once its own events are committed. A group that fails is stored
 * delivery by delivery, so one delivery Postgres refuses does not fail the others;
 * when the database is unavailable, every request of the group gets its 503 at once.
 */
export class HubSpotEventStore {
  private readonly group: GroupCommit<Delivery, Acknowledgement>;

  constructor(knex: Knex, dispatcher: Dispatcher) {
    this.group = new GroupCommit((deliveries) => storeDeliveries(knex, dispatcher, deliveries), {
      maxInFlight: MAX_STATEMENTS_IN_FLIGHT,
      maxWeight: MAX_EVENTS_PER_STATEMENT,
      weight: (delivery) => delivery.events.length,
      isolateOnFailure: (error) => problemFromDatabaseError(error)?.status !== 503,
    });
  }

  store(delivery: Delivery): Promise<Acknowledgement> {
    if (delivery.events.length === 0) return Promise.resolve({ received: 0, duplicates: 0 });
    return this.group.submit(delivery);
  }
}

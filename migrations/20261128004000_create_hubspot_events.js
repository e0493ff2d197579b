// @ts-check
/**
 * Every HubSpot webhook event, stored before it is acknowledged (docs/hubspot.md#acknowledgement). HubSpot
 * may deliver an event more than once: the dedupe key is the one docs/hubspot.md#acknowledgement names
 * (eventId alone is not unique).
 */

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.schema.createTable('hubspot_events', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    table.bigInteger('portal_id').notNullable();
    table.bigInteger('subscription_id').notNullable();
    table.bigInteger('event_id').notNullable();
    table.bigInteger('object_id').notNullable();
    // Epoch milliseconds, as HubSpot sends it: compared, never shown as a date.
    table.bigInteger('occurred_at').notNullable();
    table.text('subscription_type').notNullable();
    table.text('property_name');
    table.text('property_value');
    // The event as received, for replays and audits; erased with the contact.
    table.jsonb('payload').notNullable();
    table.text('status').notNullable().defaultTo('received');
    table.integer('attempts').notNullable().defaultTo(0);
    table.text('last_error');
    table.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('processed_at', { useTz: true });
    table.unique(['portal_id', 'subscription_id', 'event_id', 'object_id', 'occurred_at'], {
      indexName: 'hubspot_events_dedupe',
    });
  });
  await knex.raw(`
    alter table hubspot_events add constraint hubspot_events_status_valid
      check (status in ('received', 'processed', 'ignored', 'failed'))
  `);
  // Ops list by status (failed first of all); the sweeper scans 'received'; pruning by age.
  await knex.raw('create index hubspot_events_status_received on hubspot_events (status, received_at, id)');
  await knex.raw('create index hubspot_events_object on hubspot_events (object_id)');
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.schema.dropTable('hubspot_events');
}

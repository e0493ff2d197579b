// @ts-check
/**
 * What we know of each HubSpot contact: its latest properties, each with the
 * occurredAt it was set at, so an older event never overwrites a newer value
 * (docs/hubspot.md#ordering), and the user it is linked to, if any.
 */

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.schema.createTable('hubspot_contacts', (table) => {
    table.bigInteger('contact_id').primary();
    table.uuid('user_id').unique().references('users.id').onDelete('SET NULL');
    // { "<property>": { "value": "...", "occurred_at": <epoch ms> } }
    table.jsonb('properties').notNullable().defaultTo('{}');
    // Set by a deletion or privacy deletion: events older than this are ignored.
    table.bigInteger('deleted_at_ms');
    table.bigInteger('merged_into');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // Linking a registering user by email.
  await knex.raw(
    `create index hubspot_contacts_email on hubspot_contacts (lower(properties #>> '{email,value}'))`,
  );
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.schema.dropTable('hubspot_contacts');
}

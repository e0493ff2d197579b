// @ts-check
/**
 * The user's current dentist (docs/resources.md#profile, docs/internal-api.md#dentist-assignment): set by Jarvis through the internal
 * API (or HubSpot), never by the app, which asks for a change instead.
 */

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.schema.alterTable('users', (table) => {
    table.integer('dentist_id').references('dentists.id').onDelete('RESTRICT');
  });
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.schema.alterTable('users', (table) => {
    table.dropColumn('dentist_id');
  });
}

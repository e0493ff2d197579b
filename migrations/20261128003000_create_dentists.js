// @ts-check
/**
 * The dentist directory (docs/dentists.md#directory), kept in step by Jarvis through
 * PUT/DELETE /internal/dentists/{id}. The id is Jarvis's own (a positive integer,
 * sent back to Jarvis as a JSON number), so it is not generated here. Dentists are
 * deactivated, never deleted: users and change requests keep pointing at them.
 */

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.schema.createTable('dentists', (table) => {
    table.integer('id').primary();
    table.text('name').notNullable();
    table.text('practice_name');
    table.text('city');
    table.boolean('active').notNullable().defaultTo(true);
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('alter table dentists add constraint dentists_id_positive check (id > 0)');
  // The app's directory: active dentists by name (keyset pagination on name, id).
  await knex.raw('create index dentists_active_by_name on dentists (name, id) where active');
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.schema.dropTable('dentists');
}

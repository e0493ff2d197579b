// @ts-check
/** Days added to an aligner's wear (docs/resources.md#extensions). */

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.schema.createTable('treatment_extensions', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    table.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    table.integer('aligner_number').notNullable();
    table.integer('days').notNullable();
    table.text('reason');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.index(['user_id', 'created_at'], 'treatment_extensions_user_history');
  });
  await knex.raw(
    'alter table treatment_extensions add constraint treatment_extensions_days_range check (days between 1 and 30)',
  );
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.schema.dropTable('treatment_extensions');
}

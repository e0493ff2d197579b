// @ts-check
/** The history of aligner switches (docs/resources.md#aligner-changes). */

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.schema.createTable('aligner_changes', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    table.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    table.integer('aligner_number').notNullable();
    table.date('changed_on').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.index(['user_id', 'changed_on', 'created_at'], 'aligner_changes_user_history');
  });
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.schema.dropTable('aligner_changes');
}

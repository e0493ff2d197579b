// @ts-check
/**
 * Account erasure (docs/resources.md#account-erasure): the profile disappears at once (deleted_at), and
 * the worker erases everything else, then the row itself.
 */

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.schema.alterTable('users', (table) => {
    table.timestamp('deleted_at', { useTz: true });
  });
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.schema.alterTable('users', (table) => {
    table.dropColumn('deleted_at');
  });
}

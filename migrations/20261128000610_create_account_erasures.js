// @ts-check
/**
 * One row per account erasure: what the worker must do, and how far it got. It has
 * no foreign key to users: it outlives the user row it erases, as the record that
 * the erasure happened.
 */

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.schema.createTable('account_erasures', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    table.uuid('user_id').notNullable();
    table.text('cognito_sub').notNullable();
    table.text('status').notNullable().defaultTo('pending');
    // Names of the erasure steps already done, so a retry resumes where it stopped.
    table.specificType('completed_steps', 'text[]').notNullable().defaultTo('{}');
    table.integer('attempts').notNullable().defaultTo(0);
    table.text('last_error');
    table.timestamp('requested_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('completed_at', { useTz: true });
  });
  await knex.raw(
    `alter table account_erasures add constraint account_erasures_status_valid check (status in ('pending', 'completed', 'failed'))`,
  );
  await knex.raw(
    `create index account_erasures_actionable on account_erasures (requested_at) where status = 'pending'`,
  );
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.schema.dropTable('account_erasures');
}

// @ts-check
/** The people using the app: one row per Cognito user (docs/resources.md#profile). */

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.schema.createTable('users', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    table.text('cognito_sub').notNullable().unique();
    table.text('email').notNullable();
    table.text('first_name');
    table.text('last_name');
    table.text('timezone').notNullable();
    table.text('locale').notNullable().defaultTo('en');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // Jarvis and HubSpot address users by email, whatever its case.
  await knex.raw('create unique index users_email_lower_unique on users (lower(email))');
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.schema.dropTable('users');
}

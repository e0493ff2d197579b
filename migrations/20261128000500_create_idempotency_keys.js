// @ts-check
/** `Idempotency-Key` records of mobile POSTs (docs/conventions.md#idempotency-key): the first response, kept 24 h. */

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.schema.createTable('idempotency_keys', (table) => {
    // Scoped to the caller: two users may pick the same key.
    table.text('cognito_sub').notNullable();
    table.text('key').notNullable();
    table.text('method').notNullable();
    table.text('path').notNullable();
    // sha256 of method, path and body: the same key with another request is refused.
    table.text('request_hash').notNullable();
    table.integer('response_status');
    table.jsonb('response_body');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('completed_at', { useTz: true });
    table.primary(['cognito_sub', 'key']);
    table.index(['created_at'], 'idempotency_keys_created'); // pruning
  });
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.schema.dropTable('idempotency_keys');
}

// @ts-check
/**
 * Dentist change requests (docs/dentists.md): the row says what Jarvis must be told and
 * where it stands, before any job exists.
 */

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.schema.createTable('dentist_change_requests', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    table.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    table.integer('dentist_id').notNullable().references('dentists.id').onDelete('RESTRICT');
    table.text('status').notNullable().defaultTo('pending');
    // Jarvis's ticket.id; null until submitted (and when a 409 told us our lost call went through).
    table.text('jarvis_ticket_id');
    table.integer('attempts').notNullable().defaultTo(0);
    table.text('last_error');
    // Why a request ended as it did, when that is not obvious from its status.
    table.text('note');
    // Set before each call to Jarvis (docs/dentists.md#jarvis) and left set when the call gets no
    // answer (timeout, crash): a 409 on a later attempt then most likely answers our
    // own earlier call. When Jarvis answers with an error (the call did nothing), it
    // goes back to what it was before the call: null unless an earlier call was lost.
    table.timestamp('submit_attempted_at', { useTz: true });
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`
    alter table dentist_change_requests
      add constraint dentist_change_requests_status_valid check (
        status in ('pending', 'submitted', 'already_pending', 'failed', 'completed')
      )
  `);
  // One open request per user (docs/dentists.md#change-requests): two concurrent POSTs cannot both win.
  await knex.raw(`
    create unique index dentist_change_requests_one_open on dentist_change_requests (user_id)
      where status in ('pending', 'submitted')
  `);
  await knex.raw(
    'create index dentist_change_requests_user_created on dentist_change_requests (user_id, created_at desc, id desc)',
  );
  // The sweeper's scan: requests whose submit job should have run.
  await knex.raw(
    `create index dentist_change_requests_pending on dentist_change_requests (updated_at) where status = 'pending'`,
  );
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.schema.dropTable('dentist_change_requests');
}

// @ts-check
/**
 * Push reminders (docs/reminders.md#reminder-rows): a row says what must be sent and where it stands, before
 * any job exists. Its id is the OneSignal idempotency key.
 */

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.schema.createTable('reminders', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    table.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    table.text('type').notNullable();
    table.timestamp('send_after', { useTz: true }).notNullable();
    table.text('status').notNullable().defaultTo('pending');
    // Why it ended skipped, failed or cancelled (e.g. not_configured, expired, OneSignal's errors).
    table.text('status_reason');
    table.text('onesignal_id');
    table.integer('attempts').notNullable().defaultTo(0);
    table.text('last_error');
    // For the message: the aligner to change to (progress) or the session (wear).
    table.integer('aligner_number');
    table.uuid('wear_session_id');
    // Set when a schedule call is about to be sent: from then on, a cancel must go
    // through OneSignal (the notification may exist there), never straight to cancelled.
    table.timestamp('schedule_sent_at', { useTz: true });
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`
    alter table reminders
      add constraint reminders_type_valid check (type in ('progress', 'wear')),
      add constraint reminders_status_valid check (
        status in ('pending', 'scheduled', 'cancel_requested', 'cancelled', 'skipped', 'failed')
      ),
      add constraint reminders_wear_has_session check (type <> 'wear' or wear_session_id is not null)
  `);
  // At most one live progress reminder per user, and one live wear reminder per session.
  await knex.raw(`
    create unique index reminders_one_live_progress on reminders (user_id)
      where type = 'progress' and status in ('pending', 'scheduled')
  `);
  await knex.raw(`
    create unique index reminders_one_live_wear on reminders (wear_session_id)
      where type = 'wear' and status in ('pending', 'scheduled')
  `);
  await knex.raw('create index reminders_user_created on reminders (user_id, created_at desc, id desc)');
  // The sweeper's scan: rows still needing a job.
  await knex.raw(`
    create index reminders_actionable on reminders (send_after)
      where status in ('pending', 'cancel_requested')
  `);
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.schema.dropTable('reminders');
}

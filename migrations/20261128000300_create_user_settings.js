// @ts-check
/** Reminder settings (docs/reminders.md#settings). A missing row means the defaults. */

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.schema.createTable('user_settings', (table) => {
    table.uuid('user_id').primary().references('users.id').onDelete('CASCADE');
    table.boolean('progress_reminders').notNullable().defaultTo(true);
    // Local wall-clock time "HH:MM" in the user's zone.
    table.text('reminder_time').notNullable().defaultTo('09:00');
    table.boolean('wear_reminders').notNullable().defaultTo(true);
    table.integer('wear_reminder_after_minutes').notNullable().defaultTo(30);
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`
    alter table user_settings
      add constraint user_settings_reminder_time_format check (reminder_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
      add constraint user_settings_wear_delay_range check (wear_reminder_after_minutes between 5 and 240)
  `);
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.schema.dropTable('user_settings');
}

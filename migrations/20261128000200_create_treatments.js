// @ts-check
/** A user's treatment plan and where they are in it (docs/resources.md#treatment). One per user. */

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.schema.createTable('treatments', (table) => {
    table.uuid('user_id').primary().references('users.id').onDelete('CASCADE');
    table.text('status').notNullable();
    table.integer('total_aligners').notNullable();
    table.integer('current_aligner').notNullable();
    table.integer('change_interval_days').notNullable();
    table.date('started_on').notNullable();
    table.date('current_aligner_started_on').notNullable();
    table.integer('daily_wear_goal_minutes').notNullable().defaultTo(1320);
    // Extensions of the current aligner, in days; reset when the aligner changes.
    table.integer('extension_days').notNullable().defaultTo(0);
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // The schemas validate all of this first; the database is the last line.
  await knex.raw(`
    alter table treatments
      add constraint treatments_status_valid check (status in ('not_started', 'active', 'paused', 'completed')),
      add constraint treatments_total_aligners_range check (total_aligners between 1 and 100),
      add constraint treatments_current_aligner_range check (current_aligner between 1 and total_aligners),
      add constraint treatments_interval_range check (change_interval_days between 1 and 30),
      add constraint treatments_goal_range check (daily_wear_goal_minutes between 60 and 1440),
      add constraint treatments_extension_days_non_negative check (extension_days >= 0),
      add constraint treatments_aligner_after_start check (current_aligner_started_on >= started_on)
  `);
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.schema.dropTable('treatments');
}

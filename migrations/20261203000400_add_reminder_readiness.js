// @ts-check
/**
 * A progress reminder says when the aligner was worn too little to switch on time
 * (docs/reminders.md#readiness-check): shortly before it is sent, the worker checks how the
 * current aligner was worn and, when the deficit suggests extra days, replaces it with one
 * whose text says so. The figures the text is made of are kept on the new row, so every
 * attempt sends the same words; `readiness_checked_at` says the check was made.
 */

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.raw(`
    alter table reminders
      add column readiness_checked_at timestamptz,
      add column suggested_extra_days smallint,
      add column average_wear_minutes smallint
  `);
  // The sweep's scan for reminders to check: live progress ones not yet checked.
  await knex.raw(`
    create index reminders_readiness_unchecked on reminders (send_after)
      where type = 'progress' and status = 'scheduled' and readiness_checked_at is null
  `);
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.raw('drop index reminders_readiness_unchecked');
  await knex.raw(`
    alter table reminders
      drop column readiness_checked_at,
      drop column suggested_extra_days,
      drop column average_wear_minutes
  `);
}

// @ts-check
/**
 * The local days on which each user's app was in contact with the service
 * (docs/resources.md#wear-stats): a day of wear nobody recorded is told from one the
 * app saw. One row per user and day, written at most once a day per API process
 * (docs/decisions/011-app-contact-days.md).
 *
 * Backfilled from what the app left behind before this table existed: every day on
 * which it created or changed a profile, treatment, setting, aligner change,
 * extension, wear session or photo counts as a day of contact.
 */

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.raw(`
    create table app_contact_days (
      user_id uuid not null references users (id) on delete cascade,
      day date not null,
      primary key (user_id, day)
    )
  `);
  await knex.raw(`
    insert into app_contact_days (user_id, day)
    select distinct e.user_id, (e.at at time zone u.timezone)::date
      from (
        select id as user_id, created_at as at from users
        union all select id, updated_at from users
        union all select user_id, created_at from treatments
        union all select user_id, updated_at from treatments
        union all select user_id, updated_at from user_settings
        union all select user_id, created_at from aligner_changes
        union all select user_id, created_at from treatment_extensions
        union all select user_id, created_at from wear_sessions
        union all select user_id, updated_at from wear_sessions
        union all select user_id, created_at from images
      ) e
      join users u on u.id = e.user_id
     where u.deleted_at is null
    on conflict do nothing
  `);
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.schema.dropTable('app_contact_days');
}

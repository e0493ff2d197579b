// @ts-check
/**
 * The weekly summary push (docs/reminders.md#weekly-summary): each Sunday at the user's
 * `reminder_time`, a reminder row of type `weekly_summary` for the week before it.
 *
 * - `user_settings.weekly_summary`, on by default, is its opt-out.
 * - `week_of` is the local Sunday the push is sent on (it sums up the 7 days before it);
 *   at most one live row per user and week, so a re-plan racing the chain cannot plan
 *   a week twice.
 * - `summary` holds the figures the text is made of, fixed at hand-over, so every
 *   attempt sends the same words.
 *
 * Rows first: every existing user with the push on gets the pending row of their next
 * Sunday here, so the sweeper hands it over and the chain starts without any job.
 */

const LEAD_MINUTES = 15; // WEEKLY_SUMMARY_LEAD_MINUTES in src/reminders/planning.ts

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.raw(`
    alter table reminders
      drop constraint reminders_type_valid,
      add constraint reminders_type_valid check (type in ('progress', 'wear', 'weekly_summary')),
      add column week_of date,
      add column summary jsonb,
      add constraint reminders_weekly_has_week check (type <> 'weekly_summary' or week_of is not null)
  `);
  await knex.raw(`
    create unique index reminders_one_live_weekly on reminders (user_id, week_of)
      where type = 'weekly_summary' and status in ('pending', 'scheduled')
  `);
  // The sweep's scan for weekly summaries at their hand-over, in send_after order.
  await knex.raw(`
    create index reminders_weekly_pending on reminders (send_after)
      where type = 'weekly_summary' and status = 'pending'
  `);
  await knex.raw('alter table user_settings add column weekly_summary boolean not null default true');
  // The next two local Sundays of each user; the first whose time is beyond the lead.
  // A local time a DST jump skips is read with the offset before the jump, which moves
  // it forward by the gap, as luxon does for the other reminders.
  await knex.raw(
    `
    insert into reminders (user_id, type, send_after, week_of)
    select distinct on (c.user_id) c.user_id, 'weekly_summary', c.send_after, c.sunday
    from (
      select u.id as user_id, s.sunday,
             (s.sunday + coalesce(us.reminder_time, '09:00')::time) at time zone u.timezone as send_after
      from users u
      left join user_settings us on us.user_id = u.id
      cross join lateral (
        select (now() at time zone u.timezone)::date
               + ((7 - extract(isodow from now() at time zone u.timezone)::int) % 7)
               + k * 7 as sunday
        from generate_series(0, 1) k
      ) s
      where u.deleted_at is null and coalesce(us.weekly_summary, true)
    ) c
    where c.send_after > now() + make_interval(mins => ?)
    order by c.user_id, c.sunday
  `,
    [LEAD_MINUTES],
  );
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.raw(`delete from reminders where type = 'weekly_summary'`);
  await knex.raw('alter table user_settings drop column weekly_summary');
  await knex.raw('drop index reminders_weekly_pending');
  await knex.raw('drop index reminders_one_live_weekly');
  await knex.raw(`
    alter table reminders
      drop constraint reminders_weekly_has_week,
      drop column week_of,
      drop column summary,
      drop constraint reminders_type_valid,
      add constraint reminders_type_valid check (type in ('progress', 'wear'))
  `);
}

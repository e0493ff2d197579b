// @ts-check
/**
 * Each user's adherence over the last 7, 14 and 30 complete local days, kept by the
 * worker beside the daily rollup (docs/decisions/014-adherence-windows.md), so that the
 * back office's at-risk list (docs/internal-api.md#at-risk) is an index range scan that
 * stops at the page, whatever the number of users.
 *
 * `risk_rank` orders the list, worst first: -1 for an app silent for the whole window,
 * else the average wear as a fraction of the goal; null when there is nothing to judge
 * (no complete, confirmed day tracked in the window), and such rows are never listed.
 * `dentist_id` is the user's, copied by trigger so one index serves a clinic's list too.
 */

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.raw(`
    create table adherence_windows (
      user_id uuid not null references users (id) on delete cascade,
      window_days smallint not null check (window_days in (7, 14, 30)),
      -- The window's last day (the day before the computation, in the user's zone).
      through date not null,
      silent boolean not null,
      wear_ratio real,
      risk_rank real generated always as (case when silent then -1 else wear_ratio end) stored,
      dentist_id integer,
      -- The figures the list shows (docs/internal-api.md#adherence), as of computed_at.
      figures jsonb not null,
      computed_at timestamptz not null,
      primary key (user_id, window_days)
    )
  `);
  await knex.raw(`
    create index adherence_windows_risk on adherence_windows (window_days, risk_rank, user_id)
      where risk_rank is not null
  `);
  await knex.raw(`
    create index adherence_windows_dentist_risk on adherence_windows (window_days, dentist_id, risk_rank, user_id)
      where risk_rank is not null
  `);
  // The share of silent apps (rank −1) differs by window: without this the planner
  // multiplies the two selectivities and, underestimating the rows, sorts them all.
  await knex.raw(`
    create statistics adherence_windows_window_rank (mcv) on window_days, risk_rank from adherence_windows
  `);
  await knex.raw(`
    create function users_copy_dentist_to_adherence() returns trigger
    language plpgsql as $$
    begin
      update adherence_windows set dentist_id = new.dentist_id where user_id = new.id;
      return null;
    end
    $$
  `);
  await knex.raw(`
    create trigger users_copy_dentist_to_adherence
      after update of dentist_id on users
      for each row when (new.dentist_id is distinct from old.dentist_id)
      execute function users_copy_dentist_to_adherence()
  `);
  // The goal and the current aligner change the figures without touching a rolled day:
  // the user is made due, so the worker recomputes their windows after the sweep's grace.
  await knex.raw(`
    create function treatments_refresh_adherence() returns trigger
    language plpgsql as $$
    begin
      update wear_rollup_states set due_at = least(due_at, now()), updated_at = now()
       where user_id = new.user_id;
      return null;
    end
    $$
  `);
  await knex.raw(`
    create trigger treatments_refresh_adherence
      after update of daily_wear_goal_minutes, current_aligner, current_aligner_started_on, extension_days, status
      on treatments
      for each row execute function treatments_refresh_adherence()
  `);
  // Only active treatments are listed: a treatment paused, completed or deleted, or an
  // account being erased, takes its rows out in the same transaction (the worker writes
  // them again when the treatment is active again), so the list needs no join to check.
  await knex.raw(`
    create function adherence_windows_drop() returns trigger
    language plpgsql as $$
    begin
      if tg_table_name = 'users' then
        delete from adherence_windows where user_id = old.id;
      else
        delete from adherence_windows where user_id = old.user_id;
      end if;
      return null;
    end
    $$
  `);
  await knex.raw(`
    create trigger treatments_drop_adherence
      after update of status on treatments
      for each row when (new.status <> 'active')
      execute function adherence_windows_drop()
  `);
  await knex.raw(`
    create trigger treatments_deleted_drop_adherence
      after delete on treatments
      for each row execute function adherence_windows_drop()
  `);
  await knex.raw(`
    create trigger users_erased_drop_adherence
      after update of deleted_at on users
      for each row when (new.deleted_at is not null)
      execute function adherence_windows_drop()
  `);
  // Every user's windows are computed by the worker's next sweep after the deploy.
  await knex.raw(`update wear_rollup_states set due_at = least(due_at, now())`);
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.raw('drop trigger users_erased_drop_adherence on users');
  await knex.raw('drop trigger treatments_deleted_drop_adherence on treatments');
  await knex.raw('drop trigger treatments_drop_adherence on treatments');
  await knex.raw('drop function adherence_windows_drop()');
  await knex.raw('drop trigger treatments_refresh_adherence on treatments');
  await knex.raw('drop function treatments_refresh_adherence()');
  await knex.raw('drop trigger users_copy_dentist_to_adherence on users');
  await knex.raw('drop function users_copy_dentist_to_adherence()');
  await knex.raw('drop statistics adherence_windows_window_rank');
  await knex.schema.dropTable('adherence_windows');
}

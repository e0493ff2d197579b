// @ts-check
/**
 * The wear figures of each user's settled local days, one row per user and day, kept by
 * the worker (docs/decisions/012-wear-daily-rollups.md): long ranges, streaks and the
 * back office read these instead of adding up sessions.
 *
 * `wear_rollup_states.rolled_through` is the last day whose row is true. Anything that
 * changes a rolled day's figures moves it back in the same transaction, by trigger, so no
 * writer (API, HubSpot, a hand-run SQL fix) can leave a stale row in use: a session
 * written, edited or deleted moves it to the day before the session's first day (from
 * registration for a user without a treatment whose first or last session it is); a
 * treatment's start date moved, to the day before the earlier date; a treatment created
 * or deleted, or a new time zone, clears it (every day is cut anew); each change makes the user due for the worker. A
 * new user gets their state row by trigger too. Readers trust the rows up to `rolled_through` only,
 * and compute later days from the sessions; the worker rolls the state forward again.
 */

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.raw(`
    create table wear_daily_rollups (
      user_id uuid not null references users (id) on delete cascade,
      day date not null,
      -- The local day's length: 1380 or 1500 on a day of a DST change.
      day_minutes smallint not null,
      -- The part of the day after tracking began: the whole day but on the first.
      tracked_minutes smallint not null,
      out_minutes smallint not null,
      wear_minutes smallint generated always as (tracked_minutes - out_minutes) stored,
      -- False when the day lies in a silence of the app longer than allowed.
      confirmed boolean not null,
      primary key (user_id, day),
      check (tracked_minutes between 1 and day_minutes),
      check (out_minutes between 0 and tracked_minutes)
    )
  `);
  await knex.raw(`
    create table wear_rollup_states (
      user_id uuid primary key references users (id) on delete cascade,
      -- Rows up to this day are true; null when none are.
      rolled_through date,
      -- The WEAR_SILENT_DAYS_ALLOWED the rows were confirmed with: another value rebuilds them.
      silent_days_allowed smallint,
      -- When the worker must roll the user up next: the user's midnight that settles
      -- another day, or at once after a change (the sweep's grace on updated_at debounces).
      due_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )
  `);
  await knex.raw('create index wear_rollup_states_due on wear_rollup_states (due_at, user_id)');
  await knex.raw(`
    insert into wear_rollup_states (user_id) select id from users where deleted_at is null
  `);
  await knex.raw(`
    create function wear_rollup_invalidate(p_user uuid, p_day date) returns void
    language sql as $$
      update wear_rollup_states
         set rolled_through = p_day - 1, due_at = least(due_at, now()), updated_at = now()
       where user_id = p_user and rolled_through >= p_day
    $$
  `);
  // The first day a change can touch: tracking begins at the earlier of registration and
  // the first session, never before the treatment's first day, and nothing is tracked with
  // neither a treatment nor a session (docs/resources.md#wear-stats). So a session moves
  // the days from its own; but for a user without a treatment, the first session (or the
  // last one deleted) starts or ends all tracking, from registration on.
  await knex.raw(`
    create function wear_rollup_session_day(p_user uuid, p_session uuid, p_started timestamptz) returns date
    language sql stable as $$
      select case
        when not exists (select 1 from treatments t where t.user_id = p_user)
         and not exists (select 1 from wear_sessions w where w.user_id = p_user and w.id <> p_session)
        then least((p_started at time zone u.timezone)::date, (u.created_at at time zone u.timezone)::date)
        else (p_started at time zone u.timezone)::date
      end
      from users u where u.id = p_user
    $$
  `);
  await knex.raw(`
    create function wear_sessions_invalidate_rollup() returns trigger
    language plpgsql as $$
    begin
      if tg_op = 'UPDATE' and new.started_at = old.started_at
         and new.ended_at is not distinct from old.ended_at and new.user_id = old.user_id then
        return null;
      end if;
      if tg_op <> 'INSERT' then
        perform wear_rollup_invalidate(old.user_id, wear_rollup_session_day(old.user_id, old.id, old.started_at));
      end if;
      if tg_op <> 'DELETE' then
        perform wear_rollup_invalidate(new.user_id, wear_rollup_session_day(new.user_id, new.id, new.started_at));
      end if;
      return null;
    end
    $$
  `);
  await knex.raw(`
    create trigger wear_sessions_invalidate_rollup
      after insert or update or delete on wear_sessions
      for each row execute function wear_sessions_invalidate_rollup()
  `);
  // A treatment's start date moved touches the days from the earlier date; a treatment
  // created or deleted can start or end tracking before its own start (from registration
  // or the first session), so it touches every day.
  await knex.raw(`
    create function treatments_invalidate_rollup() returns trigger
    language plpgsql as $$
    begin
      if tg_op = 'UPDATE' then
        if new.started_on <> old.started_on then
          perform wear_rollup_invalidate(new.user_id, least(old.started_on, new.started_on));
        end if;
        return null;
      end if;
      update wear_rollup_states set rolled_through = null, due_at = least(due_at, now()), updated_at = now()
       where user_id = (case when tg_op = 'DELETE' then old.user_id else new.user_id end)
         and rolled_through is not null;
      return null;
    end
    $$
  `);
  await knex.raw(`
    create trigger treatments_invalidate_rollup
      after insert or update or delete on treatments
      for each row execute function treatments_invalidate_rollup()
  `);
  await knex.raw(`
    create function users_invalidate_rollup() returns trigger
    language plpgsql as $$
    begin
      update wear_rollup_states set rolled_through = null, due_at = least(due_at, now()), updated_at = now()
       where user_id = new.id;
      return null;
    end
    $$
  `);
  await knex.raw(`
    create trigger users_invalidate_rollup
      after update of timezone on users
      for each row when (new.timezone is distinct from old.timezone)
      execute function users_invalidate_rollup()
  `);
  await knex.raw(`
    create function users_start_rollup() returns trigger
    language plpgsql as $$
    begin
      insert into wear_rollup_states (user_id) values (new.id);
      return null;
    end
    $$
  `);
  await knex.raw(`
    create trigger users_start_rollup after insert on users
      for each row execute function users_start_rollup()
  `);
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.raw('drop trigger users_start_rollup on users');
  await knex.raw('drop function users_start_rollup()');
  await knex.raw('drop trigger users_invalidate_rollup on users');
  await knex.raw('drop function users_invalidate_rollup()');
  await knex.raw('drop trigger treatments_invalidate_rollup on treatments');
  await knex.raw('drop function treatments_invalidate_rollup()');
  await knex.raw('drop trigger wear_sessions_invalidate_rollup on wear_sessions');
  await knex.raw('drop function wear_sessions_invalidate_rollup()');
  await knex.raw('drop function wear_rollup_session_day(uuid, uuid, timestamptz)');
  await knex.raw('drop function wear_rollup_invalidate(uuid, date)');
  await knex.schema.dropTable('wear_rollup_states');
  await knex.schema.dropTable('wear_daily_rollups');
}

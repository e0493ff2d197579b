// @ts-check
/**
 * When each periodic task (the sweep, the prune) last started and completed. The worker
 * processes claim a task's next run here, so the schedule lives in Postgres with the work
 * it recovers: it survives Redis losing its data, and N workers still run each task once
 * per period (docs/decisions/008-periodic-work-in-postgres.md).
 */

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.raw(`
    create table maintenance_runs (
      task text primary key,
      started_at timestamptz not null,
      completed_at timestamptz,
      started_by text not null,
      -- Set by a process whose enqueue failed: the next look runs a catch-up sweep.
      catch_up_requested_at timestamptz
    )
  `);
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.schema.dropTable('maintenance_runs');
}

// @ts-check
/**
 * S3 object deletions (docs/dispatch.md#rows-first): one row per DeleteObject the worker owes. No foreign
 * key: a deletion must survive its image row (deleted at once) and its user (erased),
 * so an object is never orphaned by the row that named it going first.
 */

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.schema.createTable('image_deletions', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    table.text('object_key').notNullable();
    // image_deleted (DELETE /images/{id}), object_invalid (complete refused it and the
    // immediate delete failed), account_erased (a late upload after the erasure).
    table.text('reason').notNullable();
    table.text('status').notNullable().defaultTo('pending');
    // Not before this: a second pass after a presigned POST has expired catches a late upload.
    table.timestamp('not_before', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.integer('attempts').notNullable().defaultTo(0);
    table.text('last_error');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('completed_at', { useTz: true });
  });
  await knex.raw(`
    alter table image_deletions
      add constraint image_deletions_status_valid check (status in ('pending', 'done', 'failed')),
      add constraint image_deletions_reason_valid check (reason in ('image_deleted', 'object_invalid', 'account_erased')),
      add constraint image_deletions_once unique (object_key, not_before)
  `);
  // The sweeper's scan: deletions still owed.
  await knex.raw(
    `create index image_deletions_actionable on image_deletions (not_before) where status = 'pending'`,
  );
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.schema.dropTable('image_deletions');
}

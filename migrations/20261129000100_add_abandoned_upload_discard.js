// @ts-check
/**
 * Abandoned uploads (a pending image never completed, a day after its presigned POST
 * closed) are discarded by the hourly prune: the row goes, and its object, if one was
 * uploaded, is deleted through image_deletions with the reason `upload_abandoned`.
 */

const REASONS_BEFORE = `'image_deleted', 'object_invalid', 'account_erased'`;

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.raw(`
    alter table image_deletions
      drop constraint image_deletions_reason_valid,
      add constraint image_deletions_reason_valid check (reason in (${REASONS_BEFORE}, 'upload_abandoned'))
  `);
  // The prune's scan: pending rows by the end of their upload window, across users.
  await knex.raw(`create index images_pending_expiry on images (upload_expires_at) where status = 'pending'`);
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.raw('drop index images_pending_expiry');
  // Deletions recorded meanwhile keep their rows under the nearest older reason.
  await knex('image_deletions').where({ reason: 'upload_abandoned' }).update({ reason: 'image_deleted' });
  await knex.raw(`
    alter table image_deletions
      drop constraint image_deletions_reason_valid,
      add constraint image_deletions_reason_valid check (reason in (${REASONS_BEFORE}))
  `);
}

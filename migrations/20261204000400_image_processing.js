// @ts-check
/**
 * Photo processing (docs/resources.md#photos, decision 017): once `complete` has accepted an
 * upload, the worker decodes it, strips its metadata and writes a display version and a
 * thumbnail next to it. `processing_state` says how far it got: `processing` until the
 * display version exists, then `ready` (the original is deleted) or `failed` (every object
 * deleted, `failure_reason` says why). Pending rows have none.
 *
 * Photos uploaded before this migration were served as sent: they become `processing`,
 * and the sweeper (kind image_processing) hands them to the worker like any lost job.
 */

const REASONS_BEFORE = `'image_deleted', 'object_invalid', 'account_erased', 'upload_abandoned'`;

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.schema.alterTable('images', (table) => {
    table.text('processing_state');
    table.text('failure_reason');
    table.text('display_key');
    table.text('thumbnail_key');
    table.integer('width');
    table.integer('height');
    table.timestamp('processed_at', { useTz: true });
  });
  await knex('images').where({ status: 'uploaded' }).update({ processing_state: 'processing' });
  await knex.raw(`
    alter table images
      add constraint images_processing_state_valid check (
        (status = 'pending' and processing_state is null)
        or (status = 'uploaded' and processing_state in ('processing', 'ready', 'failed'))
      ),
      add constraint images_ready_complete check (
        processing_state is distinct from 'ready'
        or (display_key is not null and thumbnail_key is not null and width is not null
            and height is not null and processed_at is not null)
      ),
      add constraint images_failed_has_reason check (
        processing_state is distinct from 'failed' or (failure_reason is not null and processed_at is not null)
      )
  `);
  // The sweep's scan: images still owed their processing, oldest upload first.
  await knex.raw(`
    create index images_processing on images (uploaded_at, id) where processing_state = 'processing'
  `);
  await knex.raw(`
    alter table image_deletions
      drop constraint image_deletions_reason_valid,
      add constraint image_deletions_reason_valid check (reason in (${REASONS_BEFORE}, 'original_processed', 'processing_failed'))
  `);
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  // Deletions recorded meanwhile keep their rows under the nearest older reason.
  await knex('image_deletions')
    .whereIn('reason', ['original_processed', 'processing_failed'])
    .update({ reason: 'image_deleted' });
  await knex.raw(`
    alter table image_deletions
      drop constraint image_deletions_reason_valid,
      add constraint image_deletions_reason_valid check (reason in (${REASONS_BEFORE}))
  `);
  await knex.raw('drop index images_processing');
  await knex.raw(`
    alter table images
      drop constraint images_processing_state_valid,
      drop constraint images_ready_complete,
      drop constraint images_failed_has_reason
  `);
  await knex.schema.alterTable('images', (table) => {
    table.dropColumns(
      'processing_state',
      'failure_reason',
      'display_key',
      'thumbnail_key',
      'width',
      'height',
      'processed_at',
    );
  });
}

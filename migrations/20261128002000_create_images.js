// @ts-check
/**
 * Progress photos (docs/resources.md#photos). A row exists before its object: `pending` while
 * the app holds a presigned POST, `uploaded` once `complete` has checked the object.
 * Deleting a photo removes the row at once; the S3 object goes through
 * image_deletions (next migration), which outlives the row and the user.
 */

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.schema.createTable('images', (table) => {
    table.uuid('id').primary(); // made by the API: it is part of the object key
    table.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    table.text('view').notNullable();
    table.text('content_type').notNullable();
    table.integer('aligner_number');
    table.timestamp('taken_at', { useTz: true });
    // users/{cognito_sub}/images/{id}.{ext}, always made by the server.
    table.text('object_key').notNullable().unique();
    table.text('status').notNullable().defaultTo('pending');
    // bigint: IMAGE_MAX_BYTES may exceed 2 GiB.
    table.bigInteger('size_bytes');
    // When the presigned POST stops being accepted; pending rows past it no longer count.
    table.timestamp('upload_expires_at', { useTz: true }).notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('uploaded_at', { useTz: true });
  });
  await knex.raw(`
    alter table images
      add constraint images_status_valid check (status in ('pending', 'uploaded')),
      add constraint images_view_valid check (view in ('front', 'left', 'right', 'upper', 'lower', 'smile', 'other')),
      add constraint images_content_type_valid check (content_type in ('image/jpeg', 'image/png', 'image/heic', 'image/webp')),
      add constraint images_aligner_number_valid check (aligner_number is null or aligner_number between 1 and 100),
      add constraint images_uploaded_complete check (
        status <> 'uploaded' or (size_bytes is not null and uploaded_at is not null)
      )
  `);
  // The pending cap: counting a user's open upload windows is one index range read.
  await knex.raw(`
    create index images_user_pending on images (user_id, upload_expires_at) where status = 'pending'
  `);
  // The listing: newest first, keyset-paginated on (created_at, id).
  await knex.raw(`
    create index images_user_uploaded on images (user_id, created_at desc, id desc) where status = 'uploaded'
  `);
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.schema.dropTable('images');
}

import type { Knex } from 'knex';
import { deletionsForImage, recordObjectDeletions, type Image } from './model.js';
import { commitThenDispatch } from '../shared/db/transaction.js';
import { notFound } from '../shared/errors.js';
import type { Dispatcher } from '../shared/jobs/dispatcher.js';

/**
 * `DELETE /images/{id}` (docs/resources.md#photos): the image is gone to the app as soon as this
 * commits; the worker deletes the objects (the original, display version and thumbnail; and looks again once a still-open upload
 * window has closed, so a late upload does not outlive the image).
 */
export async function removeImage(
  knex: Knex,
  dispatcher: Dispatcher,
  userId: string,
  imageId: string,
): Promise<void> {
  await commitThenDispatch(knex, dispatcher, async (trx, jobs) => {
    const [image] = (await trx('images')
      .where({ id: imageId, user_id: userId })
      .delete()
      .returning(['object_key', 'upload_expires_at', 'status'])) as Array<
      Pick<Image, 'object_key' | 'upload_expires_at' | 'status'>
    >;
    if (!image) throw notFound('No such image');
    // An uploaded photo may have a display version and thumbnail, or be getting them.
    await recordObjectDeletions(
      trx,
      jobs,
      deletionsForImage(image, 'image_deleted', { derived: image.status === 'uploaded' }),
    );
  });
}

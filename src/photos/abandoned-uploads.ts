import type { Knex } from 'knex';
import { recordObjectDeletions } from './model.js';
import { commitThenDispatch } from '../shared/db/transaction.js';
import type { Dispatcher } from '../shared/jobs/dispatcher.js';

/**
 * A pending upload still not completed this long after its presigned POST closed is
 * abandoned. The app completes right after uploading; the day is for one that crashed
 * in between and completes when it is next opened.
 */
export const ABANDONED_UPLOAD_AFTER_MS = 24 * 3600_000;
const BATCH = 500;

/**
 * Discards abandoned uploads: the row goes, and the object, if one was ever uploaded,
 * is deleted by the worker (a photo nobody can see is not kept). In batches, each its
 * own transaction; rows a racing `complete` holds are left for the next run.
 */
export async function discardAbandonedUploads(
  knex: Knex,
  dispatcher: Dispatcher,
  now = new Date(),
): Promise<number> {
  const cutoff = new Date(now.getTime() - ABANDONED_UPLOAD_AFTER_MS);
  let total = 0;
  for (;;) {
    const discarded = await commitThenDispatch(knex, dispatcher, async (trx, jobs) => {
      const images = (await trx('images')
        .whereIn(
          'id',
          trx('images')
            .select('id')
            .where({ status: 'pending' })
            .where('upload_expires_at', '<', cutoff)
            .limit(BATCH)
            .forUpdate()
            .skipLocked(),
        )
        .delete()
        .returning('object_key')) as Array<{ object_key: string }>;
      // The upload window closed a day ago: no late upload can follow, one deletion suffices.
      await recordObjectDeletions(
        trx,
        jobs,
        images.map((image) => ({ objectKey: image.object_key, reason: 'upload_abandoned' as const })),
      );
      return images.length;
    });
    total += discarded;
    if (discarded < BATCH) return total;
  }
}

import { DelayedError } from 'bullmq';
import { ImageDeletion } from './model.js';
import type { Processor } from '../shared/jobs/context.js';
import { errorMessage, isLastAttempt } from '../shared/jobs/attempts.js';

/**
 * Deletes one S3 object the service owes (docs/resources.md#photos, docs/dispatch.md). Re-reads the
 * row and acts only on a pending one; DeleteObject is idempotent, so a duplicate job
 * or a retry after a lost answer does no harm. A failure (S3 down, throttled) is
 * retried with backoff; the last one leaves the row `failed` with the reason.
 */
export const processDeleteImage: Processor = async (job, context, token) => {
  const { knex, s3, logger } = context;
  const deletion = await knex<ImageDeletion>('image_deletions').where({ id: job.data.rowId }).first();
  if (!deletion || deletion.status !== 'pending') return { skipped: deletion?.status ?? 'missing' };

  // Enqueued early (sweeper, a lost delay): wait for the upload window to have closed.
  if (deletion.not_before.getTime() > Date.now() + 1000 && token) {
    await job.moveToDelayed(deletion.not_before.getTime(), token);
    throw new DelayedError();
  }

  await knex('image_deletions').where({ id: deletion.id }).increment('attempts', 1);
  try {
    await s3.deleteObject(deletion.object_key);
  } catch (error) {
    const last = isLastAttempt(job);
    await knex('image_deletions')
      .where({ id: deletion.id })
      .update({ last_error: errorMessage(error), ...(last ? { status: 'failed' as const } : {}) });
    throw error;
  }
  await knex('image_deletions')
    .where({ id: deletion.id })
    .update({ status: 'done', completed_at: new Date(), last_error: null });
  logger.info({ deletion_id: deletion.id, reason: deletion.reason }, 'image object deleted');
  return { deleted: true };
};

import type { Job } from 'bullmq';
import type { Processor, WorkerContext } from '../shared/jobs/context.js';
import type { JobData } from '../shared/jobs/queues.js';
import { errorMessage, isLastAttempt } from '../shared/jobs/attempts.js';
import { commitThenDispatch } from '../shared/db/transaction.js';
import {
  deletionsForImage,
  derivedObjectKeys,
  recordObjectDeletions,
  type Image,
  type ProcessingFailure,
} from './model.js';
import { ProcessingRefused, renderPhoto } from './render.js';

/** Points a test can hold the processor at, to make a race with a deletion deterministic. */
export interface ProcessImageHooks {
  /** After rendering, before anything is written. */
  beforeWrite?: (image: Image) => Promise<void>;
  /** After the display version and thumbnail are written, before the row is re-checked. */
  afterWrite?: (image: Image) => Promise<void>;
}

/** Ends an image failed (docs/resources.md#photos): every object it has or may get is deleted. */
async function failImage(context: WorkerContext, image: Image, reason: ProcessingFailure): Promise<void> {
  const { knex, dispatcher, metrics } = context;
  await commitThenDispatch(knex, dispatcher, async (trx, jobs) => {
    const updated = await trx('images')
      .where({ id: image.id, processing_state: 'processing' })
      .update({ processing_state: 'failed', failure_reason: reason, processed_at: new Date() });
    // Not updated: deleted meanwhile (its removal owes the deletions) or done by a twin job.
    if (updated > 0)
      await recordObjectDeletions(
        trx,
        jobs,
        deletionsForImage(image, 'processing_failed', { derived: true }),
      );
  });
  metrics.photoProcessingFailures.inc({ reason });
}

/**
 * Processes one uploaded photo (docs/resources.md#photos, decision 017): downloads the original,
 * renders the display version and thumbnail (./render.ts), writes both, then, in one
 * transaction that re-reads the row and the account, marks the image ready, takes
 * `taken_at` from the photo when the app sent none, and owes the original's deletion.
 * A row deleted or an account erased while the rendering ran finds the objects just
 * written deleted again: nothing outlives the image. A file that cannot become a photo
 * ends the image failed at once; S3 failing is retried, and the last attempt fails it.
 */
export function makeProcessImage(hooks: ProcessImageHooks = {}): Processor {
  return async (job: Job<JobData>, context) => {
    const { knex, s3, dispatcher, logger, metrics, config } = context;
    const image = await knex<Image>('images').where({ id: job.data.rowId }).first();
    if (!image || image.processing_state !== 'processing')
      return { skipped: image?.processing_state ?? 'missing' };
    const owner = (await knex('users').where({ id: image.user_id }).first('timezone', 'deleted_at')) as
      { timezone: string; deleted_at: Date | null } | undefined;
    if (!owner || owner.deleted_at) return { skipped: 'account_erased' };

    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    const keys = derivedObjectKeys(image.object_key);
    let rendered;
    try {
      const original = await s3.getObject(image.object_key);
      if (!original) throw new ProcessingRefused('processing_error', 'The uploaded file is gone');
      rendered = await renderPhoto(
        original,
        image.content_type,
        { maxPixels: config.IMAGE_MAX_PIXELS, timeoutSeconds: config.IMAGE_PROCESSING_TIMEOUT_SECONDS },
        owner.timezone,
      );
      await hooks.beforeWrite?.(image);
      await s3.putObject(keys.display, rendered.display, 'image/jpeg');
      await s3.putObject(keys.thumbnail, rendered.thumbnail, 'image/jpeg');
    } catch (error) {
      if (error instanceof ProcessingRefused) {
        logger.info({ image_id: image.id, reason: error.reason }, 'photo refused');
        await failImage(context, image, error.reason);
        metrics.photoProcessingDuration.observe({ outcome: 'failed' }, seconds());
        return { failed: error.reason };
      }
      if (isLastAttempt(job)) {
        logger.warn({ image_id: image.id, err: errorMessage(error) }, 'photo processing gave up');
        await failImage(context, image, 'processing_error');
      }
      throw error;
    }
    await hooks.afterWrite?.(image);

    const outcome = await commitThenDispatch(knex, dispatcher, async (trx, jobs) => {
      // FOR SHARE waits for an erasure request in flight, and then sees it.
      const account = await trx('users')
        .where({ id: image.user_id })
        .whereNull('deleted_at')
        .forShare()
        .first('id');
      const row = account
        ? await trx<Image>('images').where({ id: image.id }).forUpdate().first('processing_state')
        : undefined;
      if (!row) {
        // Deleted or erased while rendering: what was just written goes too.
        await recordObjectDeletions(trx, jobs, [
          { objectKey: keys.display, reason: 'image_deleted' },
          { objectKey: keys.thumbnail, reason: 'image_deleted' },
        ]);
        return 'discarded' as const;
      }
      if (row.processing_state !== 'processing') return 'already' as const; // a twin job finished it
      await trx('images')
        .where({ id: image.id })
        .update({
          processing_state: 'ready',
          display_key: keys.display,
          thumbnail_key: keys.thumbnail,
          width: rendered.width,
          height: rendered.height,
          processed_at: new Date(),
          ...(image.taken_at === null && rendered.takenAt ? { taken_at: rendered.takenAt } : {}),
        });
      await recordObjectDeletions(trx, jobs, deletionsForImage(image, 'original_processed'));
      return 'ready' as const;
    });
    if (outcome === 'ready') metrics.photoProcessingDuration.observe({ outcome: 'ready' }, seconds());
    logger.info({ image_id: image.id, outcome, seconds: seconds() }, 'photo processed');
    return { outcome };
  };
}

export const processImage: Processor = makeProcessImage();

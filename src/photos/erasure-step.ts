import {
  deletionsForImage,
  isKeySafeSubject,
  recordObjectDeletions,
  userImagesPrefix,
  type Image,
} from './model.js';
import type { JobRequest } from '../shared/jobs/queues.js';
import type { ErasureStep } from '../accounts/erasure-steps.js';

/**
 * Deletes every S3 object of the account (docs/resources.md#account-erasure): everything under its
 * prefix, listed and deleted in batches, whatever the rows say (an upload never
 * completed has no uploaded row, but has an object). Safe to re-run: a second pass
 * finds less or nothing. S3 failing makes the step, and so the erasure job, retry.
 */
export const deleteUserImages: ErasureStep = {
  name: 'delete-images',
  async run(erasure, { knex, s3, dispatcher, logger }) {
    // A subject that cannot name a prefix was never given an upload.
    if (!isKeySafeSubject(erasure.cognito_sub)) return;

    // A presigned POST still open could land after the sweep below; the worker looks
    // again once each has closed. These rows have no user key, so they outlive the rows.
    const images = (await knex('images')
      .where({ user_id: erasure.user_id })
      .select('object_key', 'upload_expires_at')) as Array<Pick<Image, 'object_key' | 'upload_expires_at'>>;
    const jobs: JobRequest[] = [];
    await recordObjectDeletions(
      knex,
      jobs,
      images.flatMap((image) =>
        deletionsForImage(image, 'account_erased').filter((deletion) => deletion.notBefore !== undefined),
      ),
    );
    await dispatcher.dispatch(jobs);

    const deleted = await s3.deletePrefix(userImagesPrefix(erasure.cognito_sub));
    logger.info({ erasure_id: erasure.id, objects: deleted }, 'account images deleted');
  },
};

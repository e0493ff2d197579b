import { defineQueue } from '../shared/jobs/queues.js';

/** S3 object deletions: short calls that overlap well. */
export const imagesQueue = defineQueue({ name: 'images', concurrency: 8 });

/** Deletes one S3 object the service owes (./delete-image-job.ts). */
export const deleteImageJob = imagesQueue.job('delete-image');

import { defineQueue } from '../shared/jobs/queues.js';

/** S3 object deletions: short calls that overlap well. */
export const imagesQueue = defineQueue({ name: 'images', concurrency: 8 });

/** Deletes one S3 object the service owes (./delete-image-job.ts). */
export const deleteImageJob = imagesQueue.job('delete-image');

/**
 * Photo processing (./process-image-job.ts): decoding is CPU and memory, libvips already
 * uses both cores for one image, so one at a time per worker process.
 */
export const imageProcessingQueue = defineQueue({ name: 'image-processing', concurrency: 1, attempts: 5 });

/** Turns one uploaded photo into its display version and thumbnail (./process-image-job.ts). */
export const processImageJob = imageProcessingQueue.job('process-image');

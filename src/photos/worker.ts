import type { WorkerFeature } from '../shared/jobs/context.js';
import { sweepSource } from '../shared/jobs/sweep-source.js';
import { discardAbandonedUploads } from './abandoned-uploads.js';
import { processDeleteImage } from './delete-image-job.js';
import { deleteImageJob, imageProcessingQueue, imagesQueue, processImageJob } from './jobs.js';
import { processImage } from './process-image-job.js';

export const photosWorker: WorkerFeature = {
  queue: imagesQueue,
  processors: [{ job: deleteImageJob, process: processDeleteImage }],
  sweepSources: [
    // S3 deletions owed and due; later ones wait in BullMQ as delayed jobs.
    sweepSource('image_deletion', deleteImageJob, {
      table: 'image_deletions',
      status: 'pending',
      orderBy: 'not_before',
      touchedAt: 'not_before',
      where: (query, knex) => query.where('not_before', '<=', knex.fn.now()),
    }),
  ],
  prune: {
    abandonedUploads: ({ knex, dispatcher }) => discardAbandonedUploads(knex, dispatcher),
  },
};

/** Photo processing (./process-image-job.ts): its own queue, one photo at a time. */
export const photoProcessingWorker: WorkerFeature = {
  queue: imageProcessingQueue,
  processors: [{ job: processImageJob, process: processImage }],
  sweepSources: [
    // Completed photos whose job was never enqueued or was lost with Redis.
    sweepSource('image_processing', processImageJob, {
      table: 'images',
      orderBy: 'uploaded_at',
      touchedAt: 'uploaded_at',
      where: (query) => query.where({ processing_state: 'processing' }),
    }),
  ],
};

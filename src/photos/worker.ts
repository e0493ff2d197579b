import type { WorkerFeature } from '../shared/jobs/context.js';
import { sweepSource } from '../shared/jobs/sweep-source.js';
import { discardAbandonedUploads } from './abandoned-uploads.js';
import { processDeleteImage } from './delete-image-job.js';
import { deleteImageJob, imagesQueue } from './jobs.js';

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

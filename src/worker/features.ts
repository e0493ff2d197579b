import { accountsWorker } from '../accounts/worker.js';
import { dentistsWorker } from '../dentists/worker.js';
import { hubspotWorker } from '../hubspot/worker.js';
import { photoProcessingWorker, photosWorker } from '../photos/worker.js';
import { remindersWorker } from '../reminders/worker.js';
import type { WorkerFeature } from '../shared/jobs/context.js';
import { wearWorker } from '../wear/worker.js';

/** What the worker runs: one entry per queue of src/queues.ts, each given by its feature. */
export const workerFeatures: readonly WorkerFeature[] = [
  accountsWorker,
  remindersWorker,
  photosWorker,
  photoProcessingWorker,
  hubspotWorker,
  dentistsWorker,
  wearWorker,
];

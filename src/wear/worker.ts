import type { WorkerFeature } from '../shared/jobs/context.js';
import { rollUpWearJob, wearQueue } from './jobs.js';
import { processRollUpWear, rollUpSweepSource } from './roll-up-job.js';

export const wearWorker: WorkerFeature = {
  queue: wearQueue,
  processors: [{ job: rollUpWearJob, process: processRollUpWear }],
  sweepSources: [rollUpSweepSource],
};

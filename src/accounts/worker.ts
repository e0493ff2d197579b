import type { WorkerFeature } from '../shared/jobs/context.js';
import { sweepSource } from '../shared/jobs/sweep-source.js';
import { processEraseAccount } from './erase-account-job.js';
import { accountsQueue, eraseAccountJob } from './jobs.js';

export const accountsWorker: WorkerFeature = {
  queue: accountsQueue,
  processors: [{ job: eraseAccountJob, process: processEraseAccount }],
  sweepSources: [
    // Erasures requested while Redis was away, or whose job was lost with its data.
    sweepSource('account_erasure', eraseAccountJob, {
      table: 'account_erasures',
      status: 'pending',
      orderBy: 'requested_at',
      touchedAt: 'requested_at',
    }),
  ],
};

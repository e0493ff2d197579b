import { defineQueue } from '../shared/jobs/queues.js';

/** Account erasures: few, and each makes many calls (OneSignal, S3), so a handful at once. */
export const accountsQueue = defineQueue({ name: 'accounts', concurrency: 4 });

/** Erases one account step by step (./erase-account-job.ts). */
export const eraseAccountJob = accountsQueue.job('erase-account');

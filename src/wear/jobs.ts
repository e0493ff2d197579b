import { defineQueue } from '../shared/jobs/queues.js';

/** The daily rollup's upkeep: a transaction of a few statements per job, on Postgres only. */
export const wearQueue = defineQueue({ name: 'wear', concurrency: 4 });

/** Brings one user's daily rollup up to their last settled day (./roll-up-job.ts). */
export const rollUpWearJob = wearQueue.job('roll-up-wear');

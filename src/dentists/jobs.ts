import { defineQueue } from '../shared/jobs/queues.js';

/** Submissions to Jarvis, one HTTP call each; rare, so a few at once. */
export const dentistRequestsQueue = defineQueue({ name: 'dentist-requests', concurrency: 4 });

/** Submits one dentist change request to Jarvis (./submit-change-job.ts). */
export const submitDentistChangeJob = dentistRequestsQueue.job('submit-dentist-change');

import { accountsQueue } from './accounts/jobs.js';
import { dentistRequestsQueue } from './dentists/jobs.js';
import { hubspotEventsQueue } from './hubspot/jobs.js';
import { imageProcessingQueue, imagesQueue } from './photos/jobs.js';
import { remindersQueue } from './reminders/jobs.js';
import { wearQueue } from './wear/jobs.js';

/**
 * Every queue of the service, each declared with its jobs by its feature (`<feature>/jobs.ts`).
 * The API enqueues into them and shows them (Bull Board, /metrics); the worker runs them
 * (src/worker/features.ts gives each its processors).
 */
export const QUEUES = [
  accountsQueue,
  remindersQueue,
  imagesQueue,
  imageProcessingQueue,
  hubspotEventsQueue,
  dentistRequestsQueue,
  wearQueue,
] as const;

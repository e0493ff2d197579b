import { defineQueue } from '../shared/jobs/queues.js';

/** HubSpot deliveries: Postgres work only, applied in order per contact (docs/hubspot.md#ordering). */
export const hubspotEventsQueue = defineQueue({ name: 'hubspot-events', concurrency: 8 });

/** Applies a delivery's events in order (./process-event-job.ts). */
export const processHubspotEventJob = hubspotEventsQueue.job('process-hubspot-event');

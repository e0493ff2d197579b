import type { WorkerFeature } from '../shared/jobs/context.js';
import { sweepSource } from '../shared/jobs/sweep-source.js';
import { hubspotEventsQueue, processHubspotEventJob } from './jobs.js';
import { processHubspotEvent } from './process-event-job.js';
import { pruneHubspotEvents } from './retention.js';

export const hubspotWorker: WorkerFeature = {
  queue: hubspotEventsQueue,
  processors: [{ job: processHubspotEventJob, process: processHubspotEvent }],
  sweepSources: [
    // Stored while Redis was down (the webhook was still acknowledged), or job lost.
    sweepSource('hubspot_event', processHubspotEventJob, {
      table: 'hubspot_events',
      status: 'received',
      orderBy: 'received_at',
      touchedAt: 'received_at',
    }),
  ],
  prune: {
    hubspotEvents: ({ knex }) => pruneHubspotEvents(knex),
  },
};

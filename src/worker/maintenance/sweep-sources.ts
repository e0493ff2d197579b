import { JARVIS_TIMEOUT_MS } from '../../shared/clients/jarvis.js';
import { reminderSweepSources } from '../../reminders/sweep-sources.js';
import { actionableRows, type SweepSource } from './sweep.js';

/** A Jarvis call started longer ago than this has ended, answered or not. */
const CALL_WINDOW_S = (JARVIS_TIMEOUT_MS + 5000) / 1000;

/** Every kind of row the sweeper watches; each feature adds its own here. */
export const sweepSources: SweepSource[] = [
  {
    job: 'eraseAccount',
    findActionable: actionableRows({
      table: 'account_erasures',
      status: 'pending',
      orderBy: 'requested_at',
      touchedAt: 'requested_at',
    }),
  },
  ...reminderSweepSources,
  {
    // S3 deletions owed and due; later ones wait in BullMQ as delayed jobs.
    job: 'deleteImage',
    findActionable: actionableRows({
      table: 'image_deletions',
      status: 'pending',
      orderBy: 'not_before',
      touchedAt: 'not_before',
    }),
  },
  {
    // Stored while Redis was down (the webhook was still acknowledged), or job lost.
    job: 'processHubspotEvent',
    findActionable: actionableRows({
      table: 'hubspot_events',
      status: 'received',
      orderBy: 'received_at',
      touchedAt: 'received_at',
    }),
  },
  {
    // Dentist change requests not yet submitted to Jarvis (Redis was down, or job lost).
    // Not one whose call may still be under way (a catch-up sweeps rows of any age): a
    // second call would race it, and Jarvis's 409 would cost the first one's ticket id.
    // If that call's worker died, the next regular sweep takes the row.
    job: 'submitDentistChange',
    findActionable: actionableRows({
      table: 'dentist_change_requests',
      status: 'pending',
      orderBy: 'updated_at',
      touchedAt: 'updated_at',
      where: (query, knex) =>
        query.where((inFlight) =>
          inFlight
            .whereNull('submit_attempted_at')
            .orWhere(
              'submit_attempted_at',
              '<',
              knex.raw('now() - make_interval(secs => ?)', [CALL_WINDOW_S]),
            ),
        ),
    }),
  },
];

import { JARVIS_TIMEOUT_MS } from '../shared/clients/jarvis.js';
import type { WorkerFeature } from '../shared/jobs/context.js';
import { sweepSource } from '../shared/jobs/sweep-source.js';
import { dentistRequestsQueue, submitDentistChangeJob } from './jobs.js';
import { processSubmitDentistChange } from './submit-change-job.js';

/** A Jarvis call started longer ago than this has ended, answered or not. */
const CALL_WINDOW_S = (JARVIS_TIMEOUT_MS + 5000) / 1000;

export const dentistsWorker: WorkerFeature = {
  queue: dentistRequestsQueue,
  processors: [{ job: submitDentistChangeJob, process: processSubmitDentistChange }],
  sweepSources: [
    // Dentist change requests not yet submitted to Jarvis (Redis was down, or job lost).
    // Not one whose call may still be under way (a catch-up sweeps rows of any age): a
    // second call would race it, and Jarvis's 409 would cost the first one's ticket id.
    // If that call's worker died, the next regular sweep takes the row.
    sweepSource('dentist_change', submitDentistChangeJob, {
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
  ],
};

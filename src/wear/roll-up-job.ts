import type { Processor } from '../shared/jobs/context.js';
import { sweepSource, type SweepSource } from '../shared/jobs/sweep-source.js';
import { keepUserUp } from './daily-upkeep.js';
import { rollUpWearJob } from './jobs.js';

/**
 * Rolls one user's days up (docs/decisions/012-wear-daily-rollups.md) and recomputes
 * their adherence windows (docs/decisions/014-adherence-windows.md). Idempotent: it
 * recomputes the days after `rolled_through` from the sessions whatever ran before, so a
 * duplicate job or a retry does no harm.
 */
export const processRollUpWear: Processor = async (job, { knex, config }) => {
  const result = await keepUserUp(knex, job.data.rowId, config.WEAR_SILENT_DAYS_ALLOWED);
  return result ?? { skipped: 'erased' };
};

/**
 * Users whose rollup is due (`due_at`): one of their midnights has settled another day
 * (every user is rolled once a day), or something changed under rolled days (a session,
 * the treatment's start, the zone), or the user is new. A change waits out the sweep's
 * grace on `updated_at`, so a burst of edits is rolled once; until then reads compute
 * those days from the sessions.
 */
export const rollUpSweepSource: SweepSource = sweepSource('wear_rollup', rollUpWearJob, {
  table: 'wear_rollup_states',
  key: 'user_id',
  orderBy: 'due_at',
  touchedAt: 'updated_at',
  owedSince: 'due_at',
  where: (query, knex) => query.where('due_at', '<=', knex.fn.now()),
});

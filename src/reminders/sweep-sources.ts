import { actionableRows, type SweepSource } from '../shared/jobs/sweep-source.js';
import { cancelReminderJob, checkReadinessJob, scheduleReminderJob } from './jobs.js';
import {
  handOverAt,
  ONESIGNAL_HORIZON_DAYS,
  READINESS_CHECK_LEAD_MINUTES,
  READINESS_CHECK_MIN_LEAD_MINUTES,
  WEEKLY_SUMMARY_LEAD_MINUTES,
} from './planning.js';

const pendingReminders = actionableRows({
  table: 'reminders',
  status: 'pending',
  orderBy: 'send_after',
  touchedAt: 'updated_at',
  // Due for hand-over: within OneSignal's window. Later ones come in as the window moves.
  // Weekly summaries have a hand-over of their own (below).
  where: (query, knex) =>
    query
      .whereNot('type', 'weekly_summary')
      .where('send_after', '<=', knex.raw(`now() + interval '${ONESIGNAL_HORIZON_DAYS} days'`)),
});

/**
 * Weekly summaries are handed over at their lead only, once their week is over
 * (docs/reminders.md#weekly-summary): earlier, the sweep would re-enqueue a job that waits.
 */
const pendingWeeklySummaries = actionableRows({
  table: 'reminders',
  status: 'pending',
  orderBy: 'send_after',
  touchedAt: 'updated_at',
  where: (query, knex) =>
    query
      .where('type', 'weekly_summary')
      .where('send_after', '<=', knex.raw(`now() + interval '${WEEKLY_SUMMARY_LEAD_MINUTES} minutes'`)),
});

/** Reminders left needing work (their job never enqueued, or lost with Redis's data). */
export const reminderSweepSources: SweepSource[] = [
  {
    // Pending reminders whose hand-over time has come: their job should have run (or
    // was lost with Redis's data). Far-future ones are looked at once in the window.
    job: scheduleReminderJob,
    findActionable: async (knex, page) => {
      const now = new Date();
      return (await pendingReminders(knex, page)).map(({ rowId, cursor, at }) => ({
        rowId,
        cursor,
        runAt: handOverAt(at, now, 'progress'),
      }));
    },
  },
  {
    // Pending weekly summaries at their hand-over: rows first, so a Redis that lost its
    // data loses no week, and the chain of the next weeks goes on from there.
    job: scheduleReminderJob,
    findActionable: async (knex, page) =>
      (await pendingWeeklySummaries(knex, page)).map(({ rowId, cursor }) => ({ rowId, cursor })),
  },
  {
    job: cancelReminderJob,
    findActionable: actionableRows({
      table: 'reminders',
      status: 'cancel_requested',
      orderBy: 'updated_at',
      touchedAt: 'updated_at',
    }),
  },
  {
    // Progress reminders about to be sent, not yet checked: their readiness check is due
    // (docs/reminders.md#readiness-check). No job waits for it: the sweep's clock starts it.
    job: checkReadinessJob,
    findActionable: actionableRows({
      table: 'reminders',
      status: 'scheduled',
      orderBy: 'send_after',
      touchedAt: 'updated_at',
      where: (query, knex) =>
        query
          .where('type', 'progress')
          .whereNull('readiness_checked_at')
          .where(
            'send_after',
            '>',
            knex.raw(`now() + interval '${READINESS_CHECK_MIN_LEAD_MINUTES} minutes'`),
          )
          .where('send_after', '<=', knex.raw(`now() + interval '${READINESS_CHECK_LEAD_MINUTES} minutes'`)),
    }),
  },
];

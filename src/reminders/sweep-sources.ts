import {
  actionableRows,
  oldestOwed,
  sweepSource,
  type ActionableSpec,
  type SweepSource,
} from '../shared/jobs/sweep-source.js';
import { cancelReminderJob, checkReadinessJob, scheduleReminderJob } from './jobs.js';
import {
  handOverAt,
  ONESIGNAL_HORIZON_DAYS,
  READINESS_CHECK_LEAD_MINUTES,
  READINESS_CHECK_MIN_LEAD_MINUTES,
  WEEKLY_SUMMARY_LEAD_MINUTES,
} from './planning.js';

const pendingReminders: ActionableSpec = {
  table: 'reminders',
  status: 'pending',
  orderBy: 'send_after',
  touchedAt: 'updated_at',
  // Owed from when it was written, or from when OneSignal's window reached it if later.
  owedSince: `greatest(updated_at, send_after - interval '${ONESIGNAL_HORIZON_DAYS} days')`,
  // Due for hand-over: within OneSignal's window. Later ones come in as the window moves.
  // Weekly summaries have a hand-over of their own (below).
  where: (query, knex) =>
    query
      .whereNot('type', 'weekly_summary')
      .where('send_after', '<=', knex.raw(`now() + interval '${ONESIGNAL_HORIZON_DAYS} days'`)),
};
const findPendingReminders = actionableRows(pendingReminders);

/**
 * Weekly summaries are handed over at their lead only, once their week is over
 * (docs/reminders.md#weekly-summary): earlier, the sweep would re-enqueue a job that waits.
 */
const pendingWeeklySummaries: ActionableSpec = {
  table: 'reminders',
  status: 'pending',
  orderBy: 'send_after',
  touchedAt: 'updated_at',
  owedSince: `greatest(updated_at, send_after - interval '${WEEKLY_SUMMARY_LEAD_MINUTES} minutes')`,
  where: (query, knex) =>
    query
      .where('type', 'weekly_summary')
      .where('send_after', '<=', knex.raw(`now() + interval '${WEEKLY_SUMMARY_LEAD_MINUTES} minutes'`)),
};
const findPendingWeeklySummaries = actionableRows(pendingWeeklySummaries);

/** Reminders left needing work (their job never enqueued, or lost with Redis's data). */
export const reminderSweepSources: SweepSource[] = [
  {
    // Pending reminders whose hand-over time has come: their job should have run (or
    // was lost with Redis's data). Far-future ones are looked at once in the window.
    kind: 'reminder_hand_over',
    job: scheduleReminderJob,
    findActionable: async (knex, page) => {
      const now = new Date();
      return (await findPendingReminders(knex, page)).map(({ rowId, cursor, at }) => ({
        rowId,
        cursor,
        runAt: handOverAt(at, now, 'progress'),
      }));
    },
    oldestOwedSince: oldestOwed(pendingReminders),
  },
  {
    // Pending weekly summaries at their hand-over: rows first, so a Redis that lost its
    // data loses no week, and the chain of the next weeks goes on from there.
    kind: 'weekly_summary_hand_over',
    job: scheduleReminderJob,
    findActionable: async (knex, page) =>
      (await findPendingWeeklySummaries(knex, page)).map(({ rowId, cursor }) => ({ rowId, cursor })),
    oldestOwedSince: oldestOwed(pendingWeeklySummaries),
  },
  sweepSource('reminder_cancel', cancelReminderJob, {
    table: 'reminders',
    status: 'cancel_requested',
    orderBy: 'updated_at',
    touchedAt: 'updated_at',
  }),
  // Progress reminders about to be sent, not yet checked: their readiness check is due
  // (docs/reminders.md#readiness-check). No job waits for it: the sweep's clock starts it.
  sweepSource('readiness_check', checkReadinessJob, {
    table: 'reminders',
    status: 'scheduled',
    orderBy: 'send_after',
    touchedAt: 'updated_at',
    owedSince: `greatest(updated_at, send_after - interval '${READINESS_CHECK_LEAD_MINUTES} minutes')`,
    where: (query, knex) =>
      query
        .where('type', 'progress')
        .whereNull('readiness_checked_at')
        .where('send_after', '>', knex.raw(`now() + interval '${READINESS_CHECK_MIN_LEAD_MINUTES} minutes'`))
        .where('send_after', '<=', knex.raw(`now() + interval '${READINESS_CHECK_LEAD_MINUTES} minutes'`)),
  }),
];

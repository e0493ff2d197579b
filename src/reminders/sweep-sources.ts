import { actionableRows, type SweepSource } from '../shared/jobs/sweep-source.js';
import { cancelReminderJob, scheduleReminderJob } from './jobs.js';
import { handOverAt, ONESIGNAL_HORIZON_DAYS } from './planning.js';

const pendingReminders = actionableRows({
  table: 'reminders',
  status: 'pending',
  orderBy: 'send_after',
  touchedAt: 'updated_at',
  // Due for hand-over: within OneSignal's window. Later ones come in as the window moves.
  where: (query, knex) =>
    query.where('send_after', '<=', knex.raw(`now() + interval '${ONESIGNAL_HORIZON_DAYS} days'`)),
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
        runAt: handOverAt(at, now),
      }));
    },
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
];

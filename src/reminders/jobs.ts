import { defineQueue } from '../shared/jobs/queues.js';

export const remindersQueue = defineQueue({
  name: 'reminders',
  // Each job is one OneSignal call: they overlap well.
  concurrency: 16,
  // OneSignal's 429 pauses this queue (`queue.rateLimit`, docs/reminders.md#schedule), but
  // BullMQ checks that pause only for workers that have a limiter: without one, the job put
  // back to wait is taken again at once by a fetch already blocking, and other worker
  // processes never see the pause. This limiter is far above anything the queue runs; it
  // is there so that the pause holds.
  limiter: { max: 10_000, duration: 1000 },
});

/** Hands a pending reminder to OneSignal (./schedule-job.ts). */
export const scheduleReminderJob = remindersQueue.job('schedule-reminder');
/** Withdraws a reminder OneSignal holds (./cancel-job.ts). */
export const cancelReminderJob = remindersQueue.job('cancel-reminder');
/** Checks how the current aligner was worn before its progress reminder is sent (./readiness-job.ts). */
export const checkReadinessJob = remindersQueue.job('check-readiness');

import type { WorkerFeature } from '../shared/jobs/context.js';
import { processCancelReminder } from './cancel-job.js';
import { cancelReminderJob, checkReadinessJob, remindersQueue, scheduleReminderJob } from './jobs.js';
import { processCheckReadiness } from './readiness-job.js';
import { processScheduleReminder } from './schedule-job.js';
import { reminderSweepSources } from './sweep-sources.js';

export const remindersWorker: WorkerFeature = {
  queue: remindersQueue,
  processors: [
    { job: scheduleReminderJob, process: processScheduleReminder },
    { job: cancelReminderJob, process: processCancelReminder },
    { job: checkReadinessJob, process: processCheckReadiness },
  ],
  sweepSources: reminderSweepSources,
};

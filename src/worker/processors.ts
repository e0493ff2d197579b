import type { ProcessorRegistry } from '../shared/jobs/context.js';
import { processCancelReminder } from '../reminders/cancel-job.js';
import { processDeleteImage } from '../photos/delete-image-job.js';
import { processEraseAccount } from '../accounts/erase-account-job.js';
import { processHubspotEvent } from '../hubspot/process-event-job.js';
import { processScheduleReminder } from '../reminders/schedule-job.js';
import { processSubmitDentistChange } from '../dentists/submit-change-job.js';

/**
 * Job name → processor, for every job in shared/queues.ts. The type makes a missing
 * processor a compile error; `assertComplete` makes it a start-up error too.
 */
export const processors: ProcessorRegistry = {
  processHubspotEvent: processHubspotEvent,
  eraseAccount: processEraseAccount,
  scheduleReminder: processScheduleReminder,
  cancelReminder: processCancelReminder,
  deleteImage: processDeleteImage,
  submitDentistChange: processSubmitDentistChange,
};

import type { ProcessorRegistry } from './context.js';
import { processCancelReminder } from '../reminders/cancel-job.js';
import { processDeleteImage } from './jobs/delete-image.js';
import { processEraseAccount } from './jobs/erase-account.js';
import { processHubspotEvent } from './jobs/process-hubspot-event.js';
import { processScheduleReminder } from '../reminders/schedule-job.js';
import { processSubmitDentistChange } from './jobs/submit-dentist-change.js';

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

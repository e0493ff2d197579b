import { withdrawRemindersForErasure } from '../../reminders/erasure.js';
import type { ErasureStep } from './steps.js';

/** Every reminder of the account withdrawn, at OneSignal too, before its rows go. */
export const cancelUserReminders: ErasureStep = {
  name: 'cancel-reminders',
  run: (erasure, context) => withdrawRemindersForErasure(erasure.user_id, context),
};

import { withdrawRemindersForErasure } from './erasure.js';
import type { ErasureStep } from '../accounts/erasure-steps.js';

/** Every reminder of the account withdrawn, at OneSignal too, before its rows go. */
export const cancelUserReminders: ErasureStep = {
  name: 'cancel-reminders',
  run: (erasure, context) => withdrawRemindersForErasure(erasure.user_id, context),
};

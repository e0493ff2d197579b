import { Reminder } from '../../shared/db/models/reminder.js';
import type { ErasureStep } from './steps.js';

/**
 * Withdraws every reminder of the account before its rows go (SPEC §3 DELETE): the
 * OneSignal ids live in those rows. A schedule call in flight makes the step retry,
 * so its notification is cancelled too once it exists.
 */
export const cancelUserReminders: ErasureStep = {
  name: 'cancel-reminders',
  async run(erasure, { knex, onesignal }) {
    const live = await Reminder.query(knex)
      .where({ user_id: erasure.user_id })
      .whereIn('status', ['pending', 'scheduled', 'cancel_requested']);
    for (const reminder of live) {
      if (reminder.onesignal_id) {
        if (!onesignal)
          throw new Error('OneSignal is not configured, so scheduled notifications cannot be cancelled');
        const outcome = await onesignal.cancelNotification(reminder.onesignal_id);
        if (outcome.kind !== 'cancelled' && outcome.kind !== 'gone')
          throw new Error(`OneSignal cancel failed: ${outcome.kind}`);
      } else if (reminder.schedule_sent_at) {
        throw new Error('a schedule call is in flight; retrying once its outcome is known');
      }
      await knex('reminders')
        .where({ id: reminder.id })
        .update({ status: 'cancelled', status_reason: 'account_erased', updated_at: knex.fn.now() });
    }
  },
};

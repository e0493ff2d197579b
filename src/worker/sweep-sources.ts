import { handOverAt, ONESIGNAL_HORIZON_DAYS } from '../shared/domain/reminders.js';
import type { SweepSource } from './sweep.js';

// Rows younger than this are left alone: their own job was enqueued moments ago.
const GRACE = "interval '1 minute'";

/** Every kind of row the sweeper watches (SPEC §7); each feature adds its own here. */
export const sweepSources: SweepSource[] = [
  {
    job: 'eraseAccount',
    findActionable: async (knex, limit) =>
      (
        await knex('account_erasures')
          .where({ status: 'pending' })
          .where('requested_at', '<', knex.raw(`now() - ${GRACE}`))
          .orderBy('requested_at')
          .limit(limit)
          .select('id')
      ).map((row: { id: string }) => ({ rowId: row.id })),
  },
  {
    // Pending reminders whose hand-over time has come: their job should have run.
    // Far-future ones wait in BullMQ as delayed jobs and are looked at once due.
    job: 'scheduleReminder',
    findActionable: async (knex, limit) => {
      const now = new Date();
      const rows = (await knex('reminders')
        .where({ status: 'pending' })
        .where('send_after', '<=', knex.raw(`now() + interval '${ONESIGNAL_HORIZON_DAYS} days'`))
        .where('updated_at', '<', knex.raw(`now() - ${GRACE}`))
        .orderBy('send_after')
        .limit(limit)
        .select('id', 'send_after')) as Array<{ id: string; send_after: Date }>;
      return rows.map((row) => ({ rowId: row.id, runAt: handOverAt(row.send_after, now) }));
    },
  },
  {
    job: 'cancelReminder',
    findActionable: async (knex, limit) =>
      (
        await knex('reminders')
          .where({ status: 'cancel_requested' })
          .where('updated_at', '<', knex.raw(`now() - ${GRACE}`))
          .orderBy('updated_at')
          .limit(limit)
          .select('id')
      ).map((row: { id: string }) => ({ rowId: row.id })),
  },
  {
    // S3 deletions owed and due; later ones wait in BullMQ as delayed jobs.
    job: 'deleteImage',
    findActionable: async (knex, limit) =>
      (
        await knex('image_deletions')
          .where({ status: 'pending' })
          .where('not_before', '<', knex.raw(`now() - ${GRACE}`))
          .orderBy('not_before')
          .limit(limit)
          .select('id')
      ).map((row: { id: string }) => ({ rowId: row.id })),
  },
  {
    // Stored while Redis was down (the webhook was still acknowledged), or job lost.
    job: 'processHubspotEvent',
    findActionable: async (knex, limit) =>
      (
        await knex('hubspot_events')
          .where({ status: 'received' })
          .where('received_at', '<', knex.raw(`now() - ${GRACE}`))
          .orderBy('received_at')
          .limit(limit)
          .select('id')
      ).map((row: { id: string }) => ({ rowId: row.id })),
  },
  {
    // Dentist change requests not yet submitted to Jarvis (Redis was down, or job lost).
    job: 'submitDentistChange',
    findActionable: async (knex, limit) =>
      (
        await knex('dentist_change_requests')
          .where({ status: 'pending' })
          .where('updated_at', '<', knex.raw(`now() - ${GRACE}`))
          .orderBy('updated_at')
          .limit(limit)
          .select('id')
      ).map((row: { id: string }) => ({ rowId: row.id })),
  },
];

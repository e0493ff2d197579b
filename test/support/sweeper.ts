import type { Knex } from 'knex';

/** Reminders, dentist changes and HubSpot events not yet final: none once all work is done. */
export async function unsettledRows(db: Knex): Promise<number> {
  const counts = await Promise.all([
    db('reminders').whereIn('status', ['pending', 'cancel_requested']).count({ n: '*' }),
    db('dentist_change_requests').where({ status: 'pending' }).count({ n: '*' }),
    db('hubspot_events').where({ status: 'received' }).count({ n: '*' }),
  ]);
  return counts.reduce((sum, [row]) => sum + Number((row as { n: number | string }).n), 0);
}

import type { Knex } from 'knex';

/** Reminders, dentist changes and HubSpot events not yet final: none once all work is done. */
/** The rows unsettledRows counts, for a failure message: what is stuck, and since when. */
export async function unsettledDetail(db: Knex): Promise<unknown[]> {
  return [
    ...(await db('reminders')
      .whereIn('status', ['pending', 'cancel_requested'])
      .select(
        'id',
        'type',
        'status',
        'send_after',
        'schedule_sent_at',
        'attempts',
        'last_error',
        'updated_at',
      )),
    ...(await db('dentist_change_requests')
      .where({ status: 'pending' })
      .select('id', 'status', 'attempts', 'updated_at')),
    ...(await db('hubspot_events').where({ status: 'received' }).select('id', 'status', 'received_at')),
  ];
}

export async function unsettledRows(db: Knex): Promise<number> {
  const counts = await Promise.all([
    db('reminders').whereIn('status', ['pending', 'cancel_requested']).count({ n: '*' }),
    db('dentist_change_requests').where({ status: 'pending' }).count({ n: '*' }),
    db('hubspot_events').where({ status: 'received' }).count({ n: '*' }),
  ]);
  return counts.reduce((sum, [row]) => sum + Number((row as { n: number | string }).n), 0);
}

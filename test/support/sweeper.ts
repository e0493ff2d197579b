import type { Knex } from 'knex';

/**
 * The sweeper leaves rows younger than a minute alone (their own job may be on its way).
 * Tests of lost or never-enqueued jobs move the rows still waiting a minute into the past
 * instead of waiting that minute: nothing is enqueued here, the rows only become old
 * enough for the next sweep.
 */
export async function ageActionableRows(db: Knex): Promise<void> {
  const minute = db.raw("interval '1 minute'");
  await db('reminders')
    .whereIn('status', ['pending', 'cancel_requested'])
    .update({ updated_at: db.raw('updated_at - ?', [minute]) });
  await db('dentist_change_requests')
    .where({ status: 'pending' })
    .update({ updated_at: db.raw('updated_at - ?', [minute]) });
  await db('hubspot_events')
    .where({ status: 'received' })
    .update({ received_at: db.raw('received_at - ?', [minute]) });
}

/** Reminders, dentist changes and HubSpot events not yet final: none once all work is done. */
export async function unsettledRows(db: Knex): Promise<number> {
  const counts = await Promise.all([
    db('reminders').whereIn('status', ['pending', 'cancel_requested']).count({ n: '*' }),
    db('dentist_change_requests').where({ status: 'pending' }).count({ n: '*' }),
    db('hubspot_events').where({ status: 'received' }).count({ n: '*' }),
  ]);
  return counts.reduce((sum, [row]) => sum + Number((row as { n: number | string }).n), 0);
}

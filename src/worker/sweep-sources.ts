import type { SweepSource } from './sweep.js';

/** Every kind of row the sweeper watches; each feature adds its own here. */
export const sweepSources: SweepSource[] = [
  {
    job: 'eraseAccount',
    findActionable: async (knex, limit) =>
      (
        await knex('account_erasures')
          .where({ status: 'pending' })
          .orderBy('requested_at')
          .limit(limit)
          .select('id')
      ).map((row: { id: string }) => ({ rowId: row.id })),
  },
];

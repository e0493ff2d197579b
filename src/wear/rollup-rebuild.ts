import type { Knex } from 'knex';
import { keepUserUp } from './daily-upkeep.js';

/**
 * Rebuilds the daily rollup of every user (or of those given) from their sessions, and
 * their adherence windows after it (./daily-upkeep.ts), a
 * few at a time: each is a short transaction under the user lock, so running API and
 * worker processes go on meanwhile. Returns the users and days rebuilt.
 */
export async function rebuildRollups(
  knex: Knex,
  silentDaysAllowed: number,
  options: { userIds?: string[]; concurrency?: number; onProgress?: (done: number, of: number) => void } = {},
): Promise<{ users: number; days: number }> {
  const ids =
    options.userIds ?? ((await knex('users').whereNull('deleted_at').orderBy('id').pluck('id')) as string[]);
  let next = 0;
  let days = 0;
  await Promise.all(
    Array.from({ length: options.concurrency ?? 4 }, async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        days += (await keepUserUp(knex, id, silentDaysAllowed, { rebuild: true }))?.days ?? 0;
        if (next % 1000 === 0) options.onProgress?.(next, ids.length);
      }
    }),
  );
  return { users: ids.length, days };
}

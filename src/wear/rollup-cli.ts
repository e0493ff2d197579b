/**
 * `npm run wear:rebuild-rollups [-- <user id>]`: rebuilds the daily wear rollup from the
 * sessions (docs/decisions/012-wear-daily-rollups.md), for one user or all of them. The
 * worker keeps the rollup by itself; this is for a rollup found wrong, or to have one at
 * once after a bulk import (the worker would roll every user within a day anyway). Safe
 * beside running API and worker processes (see ./rollup-rebuild.ts).
 */
import { loadConfig } from '../shared/config.js';
import { createKnex } from '../shared/db/knex.js';
import { rebuildRollups } from './rollup-rebuild.js';

const CONCURRENCY = 4;

async function main(userId: string | undefined): Promise<void> {
  const config = loadConfig();
  const knex = createKnex(config.DATABASE_URL, { max: CONCURRENCY + 1 });
  try {
    const started = Date.now();
    const { users, days } = await rebuildRollups(knex, config.WEAR_SILENT_DAYS_ALLOWED, {
      concurrency: CONCURRENCY,
      ...(userId ? { userIds: [userId] } : {}),
      onProgress: (done, of) => console.error(`${done} of ${of} users`),
    });
    console.log(`rebuilt ${users} users, ${days} days, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await knex.destroy();
  }
}

main(process.argv[2]).catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});

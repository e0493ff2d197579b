/**
 * `npm run migrate` / `migrate:rollback` / `migrate:make <name>` / `migrate:roundtrip`.
 * The round trip (latest → rollback all → latest) is what CI runs to prove every
 * migration has a working down().
 */
import path from 'node:path';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { createKnex } from './knex.js';
import { MIGRATIONS_DIR } from './paths.js';
import { ensureDatabaseExists, migrateToLatest } from './migrations.js';

async function main(command: string | undefined, name: string | undefined): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config, { name: 'migrate' });
  if (config.NODE_ENV !== 'production') await ensureDatabaseExists(config.DATABASE_URL, logger);
  const knex = createKnex(config.DATABASE_URL, { max: 3 });
  try {
    switch (command) {
      case 'latest':
        console.log(`applied: ${(await migrateToLatest(knex, logger)).join(', ') || 'nothing (up to date)'}`);
        break;
      case 'rollback': {
        const [, rolledBack] = (await knex.migrate.rollback()) as [number, string[]];
        console.log(`rolled back: ${rolledBack.join(', ') || 'nothing'}`);
        break;
      }
      case 'roundtrip': {
        await migrateToLatest(knex, logger);
        const [, rolledBack] = (await knex.migrate.rollback(undefined, true)) as [number, string[]];
        const reapplied = await migrateToLatest(knex, logger);
        console.log(`round trip: rolled back ${rolledBack.length}, re-applied ${reapplied.length}`);
        if (rolledBack.length !== reapplied.length)
          throw new Error('round trip did not restore every migration');
        break;
      }
      case 'make': {
        if (!name || !/^[a-z0-9_]+$/.test(name))
          throw new Error('usage: npm run migrate:make -- <snake_case_name>');
        console.log(
          `created: ${await knex.migrate.make(name, { extension: 'js', stub: path.join(MIGRATIONS_DIR, 'template.stub') })}`,
        );
        break;
      }
      default:
        throw new Error('usage: migrate-cli latest|rollback|roundtrip|make <name>');
    }
  } finally {
    await knex.destroy();
  }
}

main(process.argv[2], process.argv[3]).catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});

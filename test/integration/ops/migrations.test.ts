import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { createKnex, type Knex } from '../../../src/shared/db/knex.js';
import { migrateToLatest, pendingMigrations } from '../../../src/shared/db/migrations.js';
import { MIGRATIONS_DIR } from '../../../src/shared/db/paths.js';
import { createLogger } from '../../../src/shared/logger.js';
import { createEmptyDatabase } from '../../support/database.js';
import { testConfig } from '../../support/config.js';
import { LogCapture } from '../../support/logs.js';

let database: { url: string; drop: () => Promise<void> };
let instances: Knex[];
beforeAll(async () => {
  database = await createEmptyDatabase();
  instances = [createKnex(database.url), createKnex(database.url)];
});
afterAll(async () => {
  await Promise.all(instances.map((knex) => knex.destroy()));
  await database.drop();
});

describe('migrations on start-up (SPEC §9)', () => {
  it('apply once when two instances start together', async () => {
    const logger = createLogger(testConfig(), { name: 'api', destination: new LogCapture() });
    const [first, second] = await Promise.all(instances.map((knex) => migrateToLatest(knex, logger)));
    const files = readdirSync(MIGRATIONS_DIR).filter((name) => name.endsWith('.js'));
    // One instance applied everything; the other waited on the lock and found nothing to do.
    expect([first!.length, second!.length].sort()).toEqual([0, files.length]);
    const applied = await instances[0]!('knex_migrations').select('name');
    expect(applied.map((row: { name: string }) => row.name).sort()).toEqual(files.sort());
    expect(await pendingMigrations(instances[1]!)).toBe(0);
  });
});

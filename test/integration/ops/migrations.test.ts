import { afterAll, describe, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { createKnex, type Knex } from '../../../src/shared/db/knex.js';
import { migrateToLatest, pendingMigrations } from '../../../src/shared/db/migrations.js';
import { MIGRATIONS_DIR } from '../../../src/shared/db/paths.js';
import { createLogger } from '../../../src/shared/logger.js';
import { createEmptyDatabase } from '../../support/database.js';
import { testConfig } from '../../support/config.js';
import { LogCapture } from '../../support/logs.js';

const files = readdirSync(MIGRATIONS_DIR).filter((name) => name.endsWith('.js'));
const logger = createLogger(testConfig(), { name: 'api', destination: new LogCapture() });
const databases: { url: string; drop: () => Promise<void> }[] = [];
const instances: Knex[] = [];

async function emptyDatabaseWith(count: number): Promise<Knex[]> {
  const database = await createEmptyDatabase();
  databases.push(database);
  const created = Array.from({ length: count }, () => createKnex(database.url));
  instances.push(...created);
  return created;
}

afterAll(async () => {
  await Promise.all(instances.map((knex) => knex.destroy()));
  await Promise.all(databases.map((database) => database.drop()));
});

describe('migrations on start-up (docs/operations.md#migrations)', () => {
  it('apply once when two instances start together', async () => {
    const apis = await emptyDatabaseWith(2);
    const [first, second] = await Promise.all(apis.map((knex) => migrateToLatest(knex, logger)));
    // One instance applied everything; the other waited on the lock and found nothing to do.
    expect([first!.length, second!.length].sort()).toEqual([0, files.length]);
    const applied = await apis[0]!('knex_migrations').select('name');
    expect(applied.map((row: { name: string }) => row.name).sort()).toEqual(files.sort());
    expect(await pendingMigrations(apis[1]!)).toBe(0);
  });

  it('apply while workers poll for them, and the workers create nothing', async () => {
    // A worker checks for pending migrations while the API applies them. Knex's own
    // list() creates its tables and lock row when they are missing, and two of those
    // rows racing in made every later migration fail 'Migration table is already locked'.
    const [api, ...workers] = await emptyDatabaseWith(3);
    let migrating = true;
    const polled: number[] = [];
    const poll = async (worker: Knex) => {
      while (migrating) polled.push(await pendingMigrations(worker));
    };
    const polling = workers.map(poll);
    expect(await pendingMigrations(workers[0]!)).toBe(files.length);
    expect(await api!.schema.hasTable('knex_migrations')).toBe(false);
    const applied = await migrateToLatest(api!, logger).finally(() => (migrating = false));
    await Promise.all(polling);
    expect(applied).toHaveLength(files.length);
    expect(polled.length).toBeGreaterThan(2);
    expect(polled.every((pending) => pending === 0 || pending === files.length)).toBe(true);
    expect(await api!('knex_migrations_lock').select('is_locked')).toEqual([{ is_locked: 0 }]);
    expect(await pendingMigrations(workers[0]!)).toBe(0);
  });
});

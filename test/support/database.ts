import { randomBytes } from 'node:crypto';
import { TEMPLATE_DATABASE, databaseUrl, testDatabaseName, withAdminClient } from './postgres.js';

/** A fresh, fully migrated database for one test file, cloned from the template. */
export async function createTestDatabase(): Promise<{
  name: string;
  url: string;
  drop: () => Promise<void>;
}> {
  const name = testDatabaseName(`w${process.env.JEST_WORKER_ID ?? '0'}_${randomBytes(4).toString('hex')}`);
  await withAdminClient(async (client) => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await client.query(`create database ${name} template ${TEMPLATE_DATABASE}`);
        return;
      } catch (error) {
        // 55006: the template is briefly in use by another file's clone; try again.
        if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  });
  return {
    name,
    url: databaseUrl(name),
    drop: () =>
      withAdminClient(
        async (client) => void (await client.query(`drop database if exists ${name} with (force)`)),
      ),
  };
}

/** An empty database (no migrations), for tests of the migration runner itself. */
export async function createEmptyDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = testDatabaseName(`empty_${randomBytes(4).toString('hex')}`);
  await withAdminClient(async (client) => void (await client.query(`create database ${name}`)));
  return {
    url: databaseUrl(name),
    drop: () =>
      withAdminClient(
        async (client) => void (await client.query(`drop database if exists ${name} with (force)`)),
      ),
  };
}

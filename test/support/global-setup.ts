// Jest loads this file outside its module mapper, so it imports packages only (no
// relative `.js` imports): keep the names below in step with test/support/postgres.ts.
import path from 'node:path';
import knexFactory from 'knex';
import pg from 'pg';

const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TEST_DATABASE_PREFIX = 'aligner_test_';
// A run never lasts this long: anything older was left by a crashed or killed run.
const STALE_AFTER_SECONDS = 3 * 3600;

/**
 * Once per `npm test`: drop databases that crashed runs left behind (only stale ones:
 * another run may be going on against the same Postgres), then build this run's
 * template database with every migration applied. Each test file clones it
 * (test/support/database.ts), so files run in parallel without sharing rows.
 */
export default async function globalSetup(_global: unknown, project: { rootDir: string }): Promise<void> {
  // Each tier that needs Postgres names this setup; the first one of a run builds the template.
  if (process.env.TEST_TEMPLATE_DATABASE) return;
  const now = Math.floor(Date.now() / 1000);
  const template = `${TEST_DATABASE_PREFIX}${now}_template_${process.pid}`;
  // Test workers start after this and inherit it.
  process.env.TEST_TEMPLATE_DATABASE = template;

  const client = new pg.Client({ connectionString: ADMIN_URL });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `Tests need Postgres at ${ADMIN_URL} (set TEST_POSTGRES_URL): ${(error as Error).message}`,
    );
  }
  try {
    const existing = await client.query<{ datname: string }>(
      'select datname from pg_database where datname like $1',
      [`${TEST_DATABASE_PREFIX}%`],
    );
    for (const { datname } of existing.rows) {
      const created = Number(/^aligner_test_(\d+)_/.exec(datname)?.[1] ?? 0);
      if (now - created > STALE_AFTER_SECONDS) {
        await client.query(`drop database if exists ${client.escapeIdentifier(datname)} with (force)`);
      }
    }
    await client.query(`create database ${client.escapeIdentifier(template)}`);
  } finally {
    await client.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${template}`;
  const knex = knexFactory({ client: 'pg', connection: url.toString(), pool: { min: 0, max: 2 } });
  try {
    await knex.migrate.latest({
      directory: path.join(project.rootDir, 'migrations'),
      loadExtensions: ['.js'],
    });
  } finally {
    await knex.destroy();
  }
}

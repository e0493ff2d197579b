// Jest loads this file outside its module mapper, so it imports packages only (no
// relative `.js` imports): keep the names below in step with test/support/postgres.ts.
import path from 'node:path';
import knexFactory from 'knex';
import pg from 'pg';

const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TEMPLATE_DATABASE = 'aligner_test_template';
const TEST_DATABASE_PREFIX = 'aligner_test_';

/**
 * Once per `npm test`: drop databases left by an interrupted run, then build the
 * template database with every migration applied. Each test file clones it
 * (test/support/database.ts), so files run in parallel without sharing rows.
 */
export default async function globalSetup(_global: unknown, project: { rootDir: string }): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `Tests need Postgres at ${ADMIN_URL} (set TEST_POSTGRES_URL): ${(error as Error).message}`,
    );
  }
  try {
    const stale = await client.query<{ datname: string }>(
      'select datname from pg_database where datname like $1',
      [`${TEST_DATABASE_PREFIX}%`],
    );
    for (const { datname } of stale.rows) {
      await client.query(`drop database if exists ${client.escapeIdentifier(datname)} with (force)`);
    }
    await client.query(`create database ${TEMPLATE_DATABASE}`);
  } finally {
    await client.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${TEMPLATE_DATABASE}`;
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

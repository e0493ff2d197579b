import { readdirSync } from 'node:fs';
import type { Knex } from 'knex';
import pg from 'pg';
import type { Logger } from '../logger.js';
import { MIGRATIONS_DIR } from './paths.js';

// Any constant shared by every instance: the advisory lock that serialises migrations.
const MIGRATION_LOCK_KEY = 7_240_112_026;
const UNDEFINED_TABLE = '42P01';

/**
 * Applies pending migrations, once even when several instances start together: a
 * Postgres advisory lock makes the others wait, then find nothing left to do.
 * (Knex's own lock table makes a concurrent runner fail instead of wait.)
 */
export async function migrateToLatest(knex: Knex, logger: Logger): Promise<string[]> {
  return knex.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(?)', [MIGRATION_LOCK_KEY]);
    const [, applied] = (await knex.migrate.latest()) as [number, string[]];
    if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
    else logger.debug('database schema is up to date');
    return applied;
  });
}

// The migration files this build ships; they do not change while the process runs.
const MIGRATION_FILES = readdirSync(MIGRATIONS_DIR).filter((name) => name.endsWith('.js'));

/**
 * How many of this build's migrations the database lacks, by reading only: workers
 * and readiness probes call this while an API may be migrating. (Knex's
 * `migrate.list()` creates its tables and lock row when they are missing; racing the
 * API, that left two lock rows, and every later migration failed "already locked".)
 */
export async function pendingMigrations(knex: Knex): Promise<number> {
  const rows = await knex('knex_migrations')
    .select<{ name: string }[]>('name')
    .catch((error: { code?: string }) => {
      if (error.code === UNDEFINED_TABLE) return [];
      throw error;
    });
  const applied = new Set(rows.map((row) => row.name));
  return MIGRATION_FILES.filter((name) => !applied.has(name)).length;
}

/**
 * Development convenience: creates the database named in the URL when it does not
 * exist yet, so `npm start` works on a fresh machine. Never used in production.
 */
export async function ensureDatabaseExists(databaseUrl: string, logger: Logger): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) return;
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) {
      await client
        .query(`create database ${client.escapeIdentifier(name)}`)
        .catch((error: { code?: string }) => {
          if (error.code !== '42P04') throw error; // created meanwhile by the other process
        });
      logger.info({ database: name }, 'development database created');
    }
  } finally {
    await client.end();
  }
}

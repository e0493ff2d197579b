import knexFactory, { type Knex } from 'knex';
import pg from 'pg';

import type { Logger } from '../logger.js';
import { MIGRATIONS_DIR } from './paths.js';

export type { Knex };

// Postgres `date` columns are calendar dates in the user's zone: keep them as
// 'YYYY-MM-DD' strings instead of letting pg shift them through a JS Date.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);
// bigint counts (COUNT(*)) fit comfortably in a JS number here.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export function migrationConfig(): Knex.MigratorConfig {
  return { directory: MIGRATIONS_DIR, tableName: 'knex_migrations', loadExtensions: ['.js'] };
}

export function createKnex(
  databaseUrl: string,
  pool: { min?: number; max?: number } = {},
  logger?: Pick<Logger, 'warn' | 'debug'>,
): Knex {
  const knex = knexFactory({
    client: 'pg',
    connection: {
      connectionString: databaseUrl,
      // Fail fast when Postgres is unreachable, so requests get a 503 quickly instead of hanging.
      connectionTimeoutMillis: 3000,
      statement_timeout: 15000,
      application_name: 'aligner-tracker',
    },
    pool: { min: pool.min ?? 0, max: pool.max ?? 10, idleTimeoutMillis: 30000 },
    acquireConnectionTimeout: 5000,
    migrations: migrationConfig(),
    // knex prints to the console by default; its errors also reach the caller, so
    // the log lines go through pino at debug level (warnings at warn).
    log: {
      warn: (message: unknown) => logger?.warn({ knex: String(message) }, 'knex warning'),
      error: (message: unknown) => logger?.debug({ knex: String(message) }, 'knex error'),
      deprecate: (method: unknown, alternative: unknown) =>
        logger?.warn({ method: String(method), alternative: String(alternative) }, 'knex deprecation'),
      debug: () => undefined,
    },
  });

  return knex;
}

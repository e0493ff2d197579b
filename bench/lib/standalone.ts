import pg from 'pg';
import { baseEnv } from '../servers.js';

/** `--name value` from the command line as a number, or the fallback. */
export function numberArgument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

/** A fresh, empty database for one benchmark (its name must say it is a bench database). */
export async function recreateDatabase(postgresUrl: string, name: string): Promise<void> {
  if (!/^aligner_bench_[a-z_]+$/.test(name))
    throw new Error(`refusing to recreate ${name}: not a bench database`);
  const admin = new pg.Client({ connectionString: `${postgresUrl}/postgres` });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
}

/**
 * The environment of an API or worker process under a standalone benchmark: production
 * settings, the bench database and queue prefix, nothing of the developer's own shell.
 */
export function serviceEnv(options: {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  workerPort: number;
  extra?: Record<string, string>;
}): NodeJS.ProcessEnv {
  return {
    ...baseEnv(),
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    QUEUE_PREFIX: options.queuePrefix,
    INTERNAL_API_KEYS: 'bench',
    WORKER_PORT: String(options.workerPort),
    ...options.extra,
  };
}

/**
 * Helpers for the scripts that run on their own beside `npm run bench` (soak.ts): their
 * arguments, their database, their services' environment.
 */
import { baseEnv, BENCH_INTERNAL_API_KEY } from '../servers.js';

export { recreateDatabase } from './stores.js';

/** `--name value` from the command line as a number, or the fallback. */
export function numberArgument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
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
    INTERNAL_API_KEYS: BENCH_INTERNAL_API_KEY,
    WORKER_PORT: String(options.workerPort),
    ...options.extra,
  };
}

import type { Knex } from 'knex';
import type { Redis } from 'ioredis';
import { pendingMigrations } from './db/migrations.js';

export interface ReadinessReport {
  ready: boolean;
  checks: { postgres: string; redis: string; migrations: string };
}

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timed out')), ms).unref()),
  ]);

/**
 * The API's Redis connection has no offline queue (it fails fast), so a PING sent
 * while it is still connecting fails at once; give it the probe's time to connect.
 */
async function pingWhenConnected(redis: Redis, timeoutMs: number): Promise<string> {
  if (redis.status === 'connecting' || redis.status === 'connect' || redis.status === 'reconnecting') {
    await new Promise<void>((resolve, reject) => {
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      // The listener goes with the timer, so probes during a long outage leave none behind.
      const timer = setTimeout(() => {
        redis.off('ready', onReady);
        reject(new Error('Redis is not connected'));
      }, timeoutMs);
      timer.unref();
      redis.once('ready', onReady);
    });
  }
  return redis.ping();
}

/**
 * SPEC §9: ready when Postgres answers, Redis answers and the schema is current.
 * Once migrations are seen complete they stay so for this process (a schema never
 * goes backwards under a running instance), which keeps the probe to two round trips.
 */
export class Readiness {
  private migrationsDone = false;

  constructor(
    private readonly knex: Knex,
    private readonly redis: Redis,
  ) {}

  async check(): Promise<ReadinessReport> {
    const [postgres, redis] = await Promise.all([
      withTimeout(this.knex.raw('select 1'), 2000).then(
        () => 'ok',
        () => 'unreachable',
      ),
      withTimeout(pingWhenConnected(this.redis, 2000), 2000).then(
        () => 'ok',
        () => 'unreachable',
      ),
    ]);
    let migrations = 'ok';
    if (!this.migrationsDone) {
      migrations = postgres !== 'ok' ? 'unknown' : await this.migrationState();
      this.migrationsDone = migrations === 'ok';
    }
    return {
      ready: postgres === 'ok' && redis === 'ok' && migrations === 'ok',
      checks: { postgres, redis, migrations },
    };
  }

  private async migrationState(): Promise<string> {
    try {
      const pending = await withTimeout(pendingMigrations(this.knex), 3000);
      return pending === 0 ? 'ok' : `${pending} pending`;
    } catch {
      return 'unknown';
    }
  }
}

import type { Knex } from 'knex';
import { Cluster } from 'ioredis';
import { pendingMigrations } from './db/migrations.js';
import type { RedisClient } from './redis.js';
import { withTimeout } from './with-timeout.js';

export interface ReadinessReport {
  ready: boolean;
  checks: { postgres: string; redis: string; migrations: string };
}

// A client on its way to `ready`. A cluster also passes through `close` (all nodes lost,
// before `reconnecting`) and stays in `connect` while its ready check (CLUSTER INFO) runs.
const ON_THE_WAY = new Set(['connecting', 'connect', 'reconnecting', 'close']);

/**
 * The API's Redis connection has no offline queue (it fails fast), so a probe sent
 * while it is still connecting fails at once; give it the probe's time to connect.
 * A cluster is asked through the node that holds the queues' slot (`slotKey`, a key under
 * the hash-tagged prefix): a PING would go to any primary, and answer while the one
 * holding the jobs is down.
 */
async function pingWhenConnected(redis: RedisClient, timeoutMs: number, slotKey: string): Promise<unknown> {
  if (ON_THE_WAY.has(redis.status)) {
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
  return redis instanceof Cluster ? redis.exists(slotKey) : redis.ping();
}

/**
 * Ready when Postgres answers, Redis answers and the schema is current.
 * Once migrations are seen complete they stay so for this process (a schema never
 * goes backwards under a running instance), which keeps the probe to two round trips.
 */
export class Readiness {
  private migrationsDone = false;

  private readonly slotKey: string;

  /** `queuePrefix`: BullMQ's (hash-tagged in a cluster), for a cluster's probe. */
  constructor(
    private readonly knex: Knex,
    private readonly redis: RedisClient,
    queuePrefix = '',
  ) {
    this.slotKey = `${queuePrefix}:readiness-probe`;
  }

  async check(): Promise<ReadinessReport> {
    const [postgres, redis] = await Promise.all([
      withTimeout(this.knex.raw('select 1'), 2000).then(
        () => 'ok',
        () => 'unreachable',
      ),
      withTimeout(pingWhenConnected(this.redis, 2000, this.slotKey), 2000).then(
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

import { Redis, type RedisOptions } from 'ioredis';

/**
 * Two kinds of Redis connection (SPEC §7, BullMQ "going to production"):
 * - producer (API): fails fast when Redis is away, so a request never waits on it;
 *   the row is already committed and the sweeper enqueues it later.
 * - worker: retries forever (`maxRetriesPerRequest: null`), as BullMQ workers require,
 *   so they resume by themselves when Redis comes back.
 */
export type RedisRole = 'producer' | 'worker';

const reconnect = (attempt: number) => Math.min(250 * attempt, 2000);

export function redisOptions(role: RedisRole): RedisOptions {
  return role === 'producer'
    ? {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 2000,
        retryStrategy: reconnect,
        lazyConnect: false,
      }
    : { maxRetriesPerRequest: null, enableReadyCheck: true, retryStrategy: reconnect };
}

export function createRedis(url: string, role: RedisRole): Redis {
  const redis = new Redis(url, redisOptions(role));
  // Connection errors are reported by readiness checks and by the failing calls;
  // without a listener ioredis would print each reconnect attempt as unhandled.
  redis.on('error', () => undefined);
  return redis;
}

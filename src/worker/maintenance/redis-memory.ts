import type { RedisClient } from '../../shared/redis.js';

/** The marker's key, after the queue prefix. */
export const REDIS_MARKER = 'redis-marker';

/** What may have cost Redis jobs since the last look. */
export type RedisLapse = 'data_lost' | 'reconnected';

/**
 * Notices when Redis may have lost jobs, so that the sweeper can drive every
 * actionable row again at once instead of a minute later:
 * - its data is gone (a restart without persistence, a FLUSHALL, a failover to a replica
 *   that missed the last writes): a marker key this class keeps is missing;
 * - this worker's connection dropped and came back: the API may have committed rows
 *   meanwhile whose enqueue failed (Redis was unreachable for it too).
 * The marker is one key beside the queues' (same prefix, so in a cluster the same slot:
 * whatever loses the queues loses the marker). Checking costs one SET NX per look.
 */
export class RedisMemory {
  private connected: boolean;
  private lapsed = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly markerKey: string,
    private readonly owner: string,
  ) {
    this.connected = redis.status === 'ready';
    redis.on('ready', () => {
      if (this.connected) this.lapsed = true;
      this.connected = true;
    });
    // A cluster stays `ready` through a failover; it drops the failed primary from its pool.
    redis.on('-node', () => {
      this.lapsed = true;
    });
  }

  /**
   * Undefined when nothing was lost. `data_lost` also on the very first look at a Redis
   * that never held the marker (a new deployment), which the caller can tell apart.
   * Throws when Redis does not answer.
   */
  async check(): Promise<RedisLapse | undefined> {
    const created = await this.redis.set(this.markerKey, this.owner, 'NX');
    const reconnected = this.lapsed;
    this.lapsed = false;
    if (created === 'OK') return 'data_lost';
    return reconnected ? 'reconnected' : undefined;
  }
}

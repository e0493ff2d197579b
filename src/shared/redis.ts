import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Config } from './config.js';
import type { Logger } from './logger.js';

/** One Redis (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES): BullMQ takes either. */
export type RedisClient = Redis | Cluster;

/**
 * Two kinds of Redis connection (BullMQ's "going to production" guide):
 * - producer (API): fails fast when Redis is away, so a request never waits on it;
 *   the row is already committed and the sweeper enqueues it later.
 * - worker: retries forever (`maxRetriesPerRequest: null`), as BullMQ workers require,
 *   so they resume by themselves when Redis comes back.
 */
export type RedisRole = 'producer' | 'worker';

/** What a connection is made from: the configuration, or just a URL (tests, benchmarks). */
export type RedisSettings = Pick<Config, 'REDIS_URL'> &
  Partial<Pick<Config, 'REDIS_CLUSTER_NODES' | 'REDIS_TLS_CA'>>;

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

/**
 * A cluster client's options. ioredis gives each node connection its own fixed
 * `enableOfflineQueue: true` and no retry strategy (it finds the node again through
 * the cluster), whatever `redisOptions` say, so failing fast and reconnecting are set
 * on the cluster itself; the rest of the role's options apply to every node.
 */
export function clusterOptions(role: RedisRole, node: RedisOptions): ClusterOptions {
  const { enableOfflineQueue, retryStrategy, lazyConnect, ...perNode } = redisOptions(role);
  return {
    enableOfflineQueue: enableOfflineQueue ?? true,
    clusterRetryStrategy: (attempt) => (retryStrategy ? retryStrategy(attempt) : null),
    enableReadyCheck: true,
    ...(lazyConnect !== undefined ? { lazyConnect } : {}),
    redisOptions: { ...perNode, ...node },
    // With TLS the certificate names the host: ioredis must connect by the name it was
    // given or told by the cluster (ElastiCache announces names), not by a resolved IP.
    ...(node.tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
  };
}

// ioredis's own connector, which its index does not export.
const { default: StandaloneConnector } = createRequire(import.meta.url)(
  'ioredis/built/connectors/StandaloneConnector',
) as {
  default: new (options: unknown) => {
    connect(...args: unknown[]): Promise<EventEmitter>;
    disconnect(): void;
    stream?: { destroyed: boolean };
    connecting: boolean;
  };
};

/**
 * ioredis listens for one error per socket. A TLS handshake that fails verification
 * can raise a second one (the server's alert) when the socket is ended at that moment,
 * as a disconnect does, or BullMQ reconnecting a cluster: unheard, it would crash the
 * process. The first error still reaches ioredis; later ones are of a dead socket.
 */
class TlsConnector extends StandaloneConnector {
  override async connect(...args: unknown[]) {
    const stream = await super.connect(...args);
    stream.on('error', () => undefined);
    return stream;
  }

  // A socket that already failed never closes again: ioredis's timer that waits for it
  // (2 s) would only hold the process open.
  override disconnect() {
    if (this.stream?.destroyed) this.connecting = false;
    else super.disconnect();
  }
}

/** TLS for a `rediss://` URL: verified against REDIS_TLS_CA when set, the system's CAs otherwise. */
function tlsFor(url: string, ca: string | undefined): Pick<RedisOptions, 'tls' | 'Connector'> {
  if (!url.startsWith('rediss://')) return {};
  // Never `rejectUnauthorized: false`: an unverified TLS connection hands the jobs,
  // and the password, to whoever answers.
  return { tls: ca ? { ca } : {}, Connector: TlsConnector as unknown as RedisOptions['Connector'] };
}

export function createRedis(settings: RedisSettings, role: RedisRole, logger?: Logger): RedisClient {
  const nodes = settings.REDIS_CLUSTER_NODES ?? [];
  let redis: RedisClient;
  let seed: RedisOptions | undefined;
  if (nodes.length > 0) {
    // Config checked that every node has the same scheme and credentials.
    const first = new URL(nodes[0]!);
    const seeds = nodes.map((url) => {
      const node = new URL(url);
      return { host: node.hostname.replace(/^\[|\]$/g, ''), port: Number(node.port || 6379) };
    });
    const options = clusterOptions(role, {
      ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
      ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
      ...tlsFor(nodes[0]!, settings.REDIS_TLS_CA),
    });
    redis = new Cluster(seeds, options);
    seed = { ...options.redisOptions, ...seeds[0] };
  } else {
    redis = new Redis(settings.REDIS_URL, {
      ...redisOptions(role),
      ...tlsFor(settings.REDIS_URL, settings.REDIS_TLS_CA),
    });
  }
  reportConnectionErrors(redis, logger, seed);
  if (logger) void warnUnlessNoeviction(redis, logger);
  return redis;
}

/**
 * Without a listener ioredis prints every reconnect attempt as unhandled. With a logger,
 * each kind of error is logged once per outage (a refused certificate, a wrong password
 * or an unreachable host say why /ready fails), not once per retry.
 */
function reportConnectionErrors(redis: RedisClient, logger: Logger | undefined, seed?: RedisOptions): void {
  const reported = new Set<string>();
  const report = (error: Error & { code?: string; lastNodeError?: Error }, node?: string) => {
    // A cluster's "Failed to refresh slots cache" hides the reason in its last node error.
    const reason = (error.lastNodeError ?? error).message;
    const kind = `${error.code ?? ''} ${reason}`;
    if (!logger || reported.has(kind)) return;
    reported.add(kind);
    logger.warn(
      { err: error, reason, ...(node ? { redis_node: node } : {}) },
      'Redis connection failed; retrying until it answers',
    );
  };
  let diagnosed = false;
  redis.on('error', (error: Error) => {
    report(error);
    if (seed && logger && !diagnosed && error.message === SLOTS_REFRESH_FAILED) {
      diagnosed = true;
      void whyUnreachable(seed).then((cause) => cause && report(cause, `${seed.host}:${seed.port}`));
    }
  });
  // A cluster reports each node's errors apart from its own.
  if (redis instanceof Cluster) redis.on('node error', (error: Error, node: string) => report(error, node));
  redis.on('ready', () => {
    reported.clear();
    diagnosed = false;
  });
}

const SLOTS_REFRESH_FAILED = 'Failed to refresh slots cache.';

/**
 * A cluster asks for its slots over connections of its own whose errors it swallows: a
 * refused certificate or password only reads "Connection is closed.". One connection
 * to a seed node, with the nodes' options, says why.
 */
async function whyUnreachable(seed: RedisOptions): Promise<Error | undefined> {
  const probe = new Redis({ ...seed, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  let first: Error | undefined;
  probe.on('error', (error: Error) => (first ??= error));
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    first ??= error as Error;
  } finally {
    probe.disconnect();
  }
  return first;
}

/**
 * True once the client is ready, however long an outage lasts; false if it is closed
 * first. It holds no timer: a process waiting on it can still exit.
 */
export function whenReady(redis: RedisClient): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  if (redis.status === 'end') return Promise.resolve(false);
  return new Promise((resolve) => {
    const settle = (ready: boolean) => () => {
      redis.off('ready', onReady);
      redis.off('end', onEnd);
      resolve(ready);
    };
    const onReady = settle(true);
    const onEnd = settle(false);
    redis.once('ready', onReady);
    redis.once('end', onEnd);
  });
}

/** Each primary, named host:port, able to answer INFO: the one node, or every cluster master. */
export function primaries(redis: RedisClient): Array<{ name: string; node: Redis }> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  return nodes.map((node) => ({ name: `${node.options.host}:${node.options.port}`, node }));
}

/** `maxmemory_policy` from INFO memory's text (ElastiCache forbids CONFIG GET; INFO works everywhere). */
export function maxmemoryPolicy(info: string): string | undefined {
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
}

/**
 * Logs a warning for each primary whose `maxmemory-policy` is not `noeviction`: under
 * memory pressure such a Redis deletes keys, and a deleted key is a lost job (or a
 * corrupted queue). It runs once the connection is first ready, never blocks start-up
 * and never throws; what it cannot read is logged at debug.
 */
export async function warnUnlessNoeviction(redis: RedisClient, logger: Logger): Promise<void> {
  if (!(await whenReady(redis))) return;
  await Promise.all(
    primaries(redis).map(async ({ name, node }) => {
      try {
        const policy = maxmemoryPolicy(await node.info('memory'));
        if (policy && policy !== 'noeviction')
          logger.warn(
            { redis_node: name, maxmemory_policy: policy },
            `Redis ${name} has maxmemory-policy ${policy}: it may evict queued jobs when full; ` +
              'set maxmemory-policy noeviction (ElastiCache: in the parameter group), see docs/runbook.md',
          );
      } catch (error) {
        logger.debug({ err: error, redis_node: name }, 'could not read maxmemory-policy');
      }
    }),
  );
}

import { describe, expect, it } from '@jest/globals';
import { Cluster, Redis } from 'ioredis';
import { clusterOptions, createRedis, maxmemoryPolicy } from '../../src/shared/redis.js';

describe('cluster client options', () => {
  it('producer: the cluster itself fails fast (its nodes always queue), and reconnects with backoff', () => {
    const options = clusterOptions('producer', {});
    expect(options.enableOfflineQueue).toBe(false);
    expect(options.clusterRetryStrategy?.(1)).toBe(250);
    expect(options.clusterRetryStrategy?.(100)).toBe(2000);
    // ioredis ignores these per node: kept out so nobody reads them as in force.
    expect(options.redisOptions).not.toHaveProperty('enableOfflineQueue');
    expect(options.redisOptions).not.toHaveProperty('retryStrategy');
    expect(options.redisOptions).toMatchObject({ maxRetriesPerRequest: 1, connectTimeout: 2000 });
    expect(options).not.toHaveProperty('dnsLookup');
  });

  it('worker: maxRetriesPerRequest null on every node, as BullMQ requires of a worker connection', () => {
    const options = clusterOptions('worker', {});
    expect(options.enableOfflineQueue).toBe(true);
    expect(options.redisOptions).toHaveProperty('maxRetriesPerRequest', null);
  });

  it('TLS: verified on every node, and nodes are reached by the names that their certificates carry', () => {
    const options = clusterOptions('worker', { tls: { ca: 'PEM' } });
    expect(options.redisOptions?.tls).toEqual({ ca: 'PEM' });
    expect(options.redisOptions?.tls).not.toHaveProperty('rejectUnauthorized');
    const resolved: string[] = [];
    options.dnsLookup!('clustercfg.cache.internal', (_error, address) => resolved.push(address));
    expect(resolved).toEqual(['clustercfg.cache.internal']);
  });
});

describe('createRedis', () => {
  // Port 1 refuses at once; the clients are closed before they retry.
  it('builds a Cluster from REDIS_CLUSTER_NODES, credentials and TLS from the URLs and the CA', () => {
    const redis = createRedis(
      {
        REDIS_URL: 'redis://unused:6379',
        REDIS_CLUSTER_NODES: ['rediss://app:p%40ss@127.0.0.1:1', 'rediss://app:p%40ss@[::1]:2'],
        REDIS_TLS_CA: 'PEM',
      },
      'producer',
    );
    try {
      expect(redis).toBeInstanceOf(Cluster);
      const cluster = redis as Cluster;
      expect(cluster['startupNodes']).toEqual([
        { host: '127.0.0.1', port: 1 },
        { host: '::1', port: 2 },
      ]);
      expect(cluster.options.redisOptions).toMatchObject({
        username: 'app',
        password: 'p@ss',
        tls: { ca: 'PEM' },
      });
    } finally {
      redis.disconnect();
    }
  });

  it('builds one Redis from REDIS_URL; rediss:// verifies against the CA when given, the system CAs otherwise', () => {
    const withCa = createRedis({ REDIS_URL: 'rediss://127.0.0.1:1', REDIS_TLS_CA: 'PEM' }, 'producer');
    const systemCas = createRedis({ REDIS_URL: 'rediss://127.0.0.1:1' }, 'producer');
    const plain = createRedis({ REDIS_URL: 'redis://127.0.0.1:1' }, 'producer');
    try {
      expect(withCa).toBeInstanceOf(Redis);
      expect((withCa as Redis).options.tls).toEqual({ ca: 'PEM' });
      expect((systemCas as Redis).options.tls).toEqual({});
      expect((plain as Redis).options.tls).toBeUndefined();
    } finally {
      for (const redis of [withCa, systemCas, plain]) redis.disconnect();
    }
  });
});

describe('maxmemoryPolicy', () => {
  it('reads the policy from INFO memory', () => {
    const info = '# Memory\r\nused_memory:1000\r\nmaxmemory:0\r\nmaxmemory_policy:allkeys-lru\r\n';
    expect(maxmemoryPolicy(info)).toBe('allkeys-lru');
    expect(maxmemoryPolicy('# Memory\r\nused_memory:1\r\n')).toBeUndefined();
  });
});

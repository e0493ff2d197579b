import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createLogger } from '../../../src/shared/logger.js';
import { createRedis, warnUnlessNoeviction, type RedisClient } from '../../../src/shared/redis.js';
import { startTestApp } from '../../support/app.js';
import { testConfig } from '../../support/config.js';
import { freePort } from '../../support/free-port.js';
import { waitFor } from '../../support/jobs.js';
import { LogCapture } from '../../support/logs.js';
import { startTestRedisCluster, type TestRedisCluster } from '../../support/redis-cluster.js';
import { startTestRedisServer, type TestRedisServer } from '../../support/redis-server.js';
import { startTestWorker } from '../../support/worker.js';

// A Redis that may evict keys loses jobs when it fills up. Both processes read
// `maxmemory_policy` from INFO memory once connected (ElastiCache refuses CONFIG GET)
// and say so in one warning line; they start as usual whatever they find.

const servers: TestRedisServer[] = [];
const clients: RedisClient[] = [];
let cluster: TestRedisCluster | undefined;

async function server(args: string[] = [], port?: number) {
  const started = await startTestRedisServer({ args, ...(port ? { port } : {}) });
  servers.push(started);
  return started;
}

function capture() {
  const logs = new LogCapture();
  return { logs, logger: createLogger(testConfig(), { name: 'test', destination: logs }) };
}

/** The eviction warnings logged: the node and the policy each names. */
const warnings = (logs: LogCapture) =>
  logs
    .entries()
    .filter((entry) => entry.level === 'warn' && typeof entry.maxmemory_policy === 'string')
    .map((entry) => ({ node: entry.redis_node, policy: entry.maxmemory_policy, msg: entry.msg as string }));

let lru: TestRedisServer;
let noeviction: TestRedisServer;
beforeAll(async () => {
  // BullMQ prints its own line ("IMPORTANT! Eviction policy is …") for each connection:
  // not ours to test, and noise in the test output.
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  [lru, noeviction] = await Promise.all([
    server(['--maxmemory-policy', 'allkeys-lru']),
    server(['--maxmemory-policy', 'noeviction']),
  ]);
});
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await Promise.all([...servers.map((each) => each.stop()), cluster?.stop()]);
});

describe('maxmemory-policy at start-up', () => {
  it('the API and the worker each log one warning naming the policy and what to do', async () => {
    const app = await startTestApp({ env: { REDIS_URL: lru.url } });
    const worker = await startTestWorker(app.config);
    try {
      for (const logs of [app.logs, worker.logs]) {
        const [warning, ...more] = await waitFor(
          async () => warnings(logs),
          (found) => found.length > 0,
          5000,
          'eviction warning',
        );
        expect(more).toEqual([]);
        expect(warning).toMatchObject({ node: `127.0.0.1:${lru.port}`, policy: 'allkeys-lru' });
        expect(warning!.msg).toContain('maxmemory-policy allkeys-lru');
        expect(warning!.msg).toContain('set maxmemory-policy noeviction');
        expect(warning!.msg).toContain('docs/runbook.md');
      }
      // Nothing else is held back: the app is ready and works on this Redis.
      expect((await app.request('/ready')).status).toBe(200);
    } finally {
      await worker.stop();
      await app.close();
    }
  });

  it('says nothing of a noeviction Redis', async () => {
    const { logs, logger } = capture();
    const redis = createRedis({ REDIS_URL: noeviction.url }, 'producer');
    clients.push(redis);
    await warnUnlessNoeviction(redis, logger);
    expect(warnings(logs)).toEqual([]);
    expect(logs.text()).not.toContain('maxmemory');
  });

  it('does not hold up start-up while Redis is down, and checks once it comes up', async () => {
    const port = await freePort();
    const { logs, logger } = capture();
    const started = Date.now();
    const redis = createRedis({ REDIS_URL: `redis://127.0.0.1:${port}` }, 'producer', logger);
    clients.push(redis);
    expect(Date.now() - started).toBeLessThan(100);
    // Wait for retries, not for a time: three connection attempts have failed.
    let failedAttempts = 0;
    redis.on('error', () => (failedAttempts += 1));
    await waitFor(
      async () => failedAttempts,
      (failed) => failed >= 3,
      10000,
      'failed connection attempts',
    );
    // The connection failure is logged once, not once per retry.
    expect(
      logs.entries().filter((entry) => entry.msg === 'Redis connection failed; retrying until it answers'),
    ).toHaveLength(1);

    expect(warnings(logs)).toEqual([]);

    await server(['--maxmemory-policy', 'volatile-ttl'], port);
    await waitFor(
      async () => warnings(logs),
      (found) => found.length > 0,
      5000,
      'eviction warning',
    );
    expect(warnings(logs)).toEqual([expect.objectContaining({ policy: 'volatile-ttl' })]);
  });

  it('checks every primary of a cluster, naming each one that may evict', async () => {
    cluster = await startTestRedisCluster();
    const { logs, logger } = capture();
    const primaries = await cluster.primaries();
    expect(primaries).toHaveLength(3);
    // Two of the three primaries may evict; the replicas' setting does not matter here.
    for (const [node, policy] of [
      [primaries[0]!, 'allkeys-lfu'],
      [primaries[2]!, 'volatile-lru'],
    ] as const) {
      const client = node.client();
      await client.config('SET', 'maxmemory-policy', policy);
      client.disconnect();
    }
    const redis = createRedis(
      { REDIS_URL: 'redis://unused:1', REDIS_CLUSTER_NODES: [cluster.servers[0]!.url] },
      'worker',
    );
    clients.push(redis);
    await warnUnlessNoeviction(redis, logger);
    expect(warnings(logs).map(({ node, policy }) => ({ node, policy }))).toEqual(
      expect.arrayContaining([
        { node: `127.0.0.1:${primaries[0]!.port}`, policy: 'allkeys-lfu' },
        { node: `127.0.0.1:${primaries[2]!.port}`, policy: 'volatile-lru' },
      ]),
    );
    expect(warnings(logs)).toHaveLength(2);
  });
});

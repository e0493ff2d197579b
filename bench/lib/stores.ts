/**
 * The bench's Postgres databases and Redis queues: created fresh for a run, emptied
 * after it, and the processes serving them (for CPU accounting).
 */
import { existsSync, readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import pg from 'pg';
import { QUEUES } from '../../src/queues.js';
import { Queues } from '../../src/shared/jobs/queues.js';
import { createRedis } from '../../src/shared/redis.js';

/** Only databases (and queue prefixes) whose name says so are dropped or emptied. */
export function assertBenchName(name: string): void {
  if (!/^[a-z0-9_]*bench[a-z0-9_]*$/.test(name)) {
    throw new Error(`refusing to recreate "${name}": not a plain name containing "bench"`);
  }
}

/** DROP and CREATE a bench database (the API migrates it when it starts). */
export async function recreateDatabase(postgresServerUrl: string, name: string): Promise<void> {
  assertBenchName(name);
  const client = new pg.Client({ connectionString: `${postgresServerUrl}/postgres` });
  await client.connect();
  try {
    const identifier = client.escapeIdentifier(name);
    await client.query(`drop database if exists ${identifier} with (force)`);
    await client.query(`create database ${identifier}`);
  } finally {
    await client.end();
  }
}

/** The pids of the Postgres backends serving one database (its clients' pools). */
export async function backendPids(monitor: pg.Client, database: string): Promise<number[]> {
  const { rows } = await monitor.query<{ pid: number }>(
    'select pid from pg_stat_activity where datname = $1',
    [database],
  );
  return rows.map((row) => row.pid);
}

/** The Redis server's pid when it runs on this machine (for CPU accounting), else undefined. */
export async function redisPid(redisUrl: string): Promise<number | undefined> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const pid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);
    const comm = `/proc/${pid}/comm`;
    return pid > 0 && existsSync(comm) && readFileSync(comm, 'utf8').includes('redis') ? pid : undefined;
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

/** Removes every job of every queue under a bench prefix (e.g. events no worker consumed). */
export async function obliterateQueues(redisUrl: string, prefix: string): Promise<void> {
  assertBenchName(prefix);
  const redis = createRedis({ REDIS_URL: redisUrl }, 'worker');
  const queues = new Queues(QUEUES, redis, prefix);
  try {
    for (const queue of queues.all()) await queue.obliterate({ force: true });
  } finally {
    await queues.close();
    redis.disconnect();
  }
}

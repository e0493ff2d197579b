import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { createLogger } from '../../../src/shared/logger.js';
import { Metrics } from '../../../src/shared/metrics.js';
import { MaintenanceLoop } from '../../../src/worker/maintenance/loop.js';
import { REDIS_MARKER, RedisMemory } from '../../../src/worker/maintenance/redis-memory.js';
import type { PeriodicTask } from '../../../src/worker/maintenance/tasks.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { LogCapture } from '../../support/logs.js';
import { deleteKeys, REDIS_URL } from '../../support/redis.js';
import { workerContextFor } from '../../support/worker.js';

// The periodic tasks' clock (docs/decisions/008): in Postgres, so several workers run
// each period once, and Redis forgetting everything neither stops nor multiplies them.

let app: TestApp;
const connections: Redis[] = [];

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  for (const connection of connections) connection.disconnect();
  await app.close();
});

function loopWith(task: PeriodicTask, tickMs: number) {
  const logs = new LogCapture();
  const logger = createLogger(app.config, { name: 'worker', destination: logs });
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  connections.push(redis);
  const memory = new RedisMemory(redis, `${app.config.QUEUE_PREFIX}:${REDIS_MARKER}`, 'test');
  const context = { ...workerContextFor(app), logger };
  return {
    loop: new MaintenanceLoop(context, [task], memory, new Metrics({ service: 'worker' }), tickMs),
    logs,
  };
}

describe('maintenance loop', () => {
  it('runs a task once per period however many workers tick, and goes on after Redis forgets everything', async () => {
    const runs: Array<{ at: number; catchUp: boolean }> = [];
    const task: PeriodicTask = {
      name: `counting-${Date.now()}`,
      everyMs: 1000,
      catchUp: true,
      needsRedis: true,
      run: async (_context, { catchUp }) => {
        runs.push({ at: Date.now(), catchUp });
        return { runs: 1 };
      },
    };
    const workers = [loopWith(task, 100), loopWith(task, 100), loopWith(task, 100)];
    for (const { loop } of workers) loop.start();
    // Fixed on purpose: the runs in a known span of time are what is counted.
    await new Promise((resolve) => setTimeout(resolve, 4500));
    const countedUntil = Date.now();
    // Each worker's first look is a catch-up of its own (a worker starting may follow an incident).
    const firstLooks = runs.filter((run) => run.catchUp);
    const regular = runs.filter((run) => !run.catchUp);
    expect(firstLooks).toHaveLength(3);
    // One run a second (every run, a first look's too, restarts the period), across three
    // workers ticking ten times a second: a regular run comes a period after the run before
    // it, less the distance between a claim and its run, never sooner; and none is skipped
    // after the last first look. The span is measured, not assumed, so a loaded machine
    // that starts a worker late changes nothing.
    const lastFirstLook = Math.max(...firstLooks.map((run) => run.at));
    const periods = (countedUntil - lastFirstLook) / 1000;
    const counted = regular.filter((run) => run.at > lastFirstLook);
    expect(counted.length).toBeGreaterThanOrEqual(Math.floor(periods) - 1);
    expect(counted.length).toBeLessThanOrEqual(Math.ceil(periods));
    const sooner = runs.filter(
      (run, index) => !run.catchUp && index > 0 && run.at - runs[index - 1]!.at < 900,
    );
    expect(sooner).toEqual([]);

    // Redis forgets every key of this deployment (its queues and the marker).
    await deleteKeys(app.config.QUEUE_PREFIX);
    const forgotAt = Date.now();
    // Fixed on purpose, as above: the runs in 2.5 s after the loss are counted.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    for (const { loop } of workers) await loop.stop();
    const after = runs.filter((run) => run.at >= forgotAt);
    // One worker noticed and caught up at once; the clock went on by itself.
    expect(after.filter((run) => run.catchUp)).toHaveLength(1);
    expect(after[0]!.at - forgotAt).toBeLessThan(500);
    expect(after.filter((run) => !run.catchUp).length).toBeGreaterThanOrEqual(1);
    expect(workers.map(({ logs }) => logs.text()).join('')).toContain('Redis lost its data');
    const [row] = (await app.deps.knex('maintenance_runs').where({ task: task.name })) as Array<{
      completed_at: Date | null;
    }>;
    expect(row?.completed_at).toBeInstanceOf(Date);
  }, 20000);
});

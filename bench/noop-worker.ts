/**
 * The queue ceiling: a BullMQ worker whose processor does nothing, with the same
 * connection settings and concurrency as the real reminders worker.
 */
import { Worker } from 'bullmq';
import { createRedis } from '../src/shared/redis.js';

const redis = createRedis({ REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }, 'worker');
const worker = new Worker('noop', async () => undefined, {
  connection: redis,
  prefix: process.env.QUEUE_PREFIX ?? 'bench-noop',
  concurrency: Number(process.env.CONCURRENCY ?? 16),
});
await worker.waitUntilReady();
console.log('noop worker ready');
process.once('SIGTERM', () => {
  void worker.close().then(() => {
    redis.disconnect();
    process.exit(0);
  });
});

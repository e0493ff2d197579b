import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { developmentToken } from '../../src/dev/development-token.js';
import { createTestDatabase } from '../support/database.js';
import { freePort } from '../support/free-port.js';
import { Redis } from 'ioredis';
import { deleteKeys, REDIS_URL, uniqueQueuePrefix } from '../support/redis.js';
import { OneSignalStub } from '../support/stubs/onesignal-stub.js';
import { HoldingProxy } from '../support/holding-proxy.js';
import { ensureBuilt, startProcess, startStack, type Stack } from '../support/processes.js';
import { countBy, createUser, query, stalledJobIds } from '../support/traffic.js';
import { waitFor } from '../support/jobs.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
const prefix = uniqueQueuePrefix();
let apiPort: number;
let workerPort: number;

beforeAll(async () => {
  ensureBuilt();
  database = await createTestDatabase();
  [apiPort, workerPort] = [await freePort(), await freePort()];
}, 120000);
afterAll(async () => {
  await deleteKeys(prefix);
  await database.drop();
});

const env = () => ({
  NODE_ENV: 'test',
  DATABASE_URL: database.url,
  REDIS_URL,
  QUEUE_PREFIX: prefix,
  PORT: String(apiPort),
  WORKER_PORT: String(workerPort),
  LOG_LEVEL: 'info',
});

describe('SIGTERM (docs/operations.md#shutdown)', () => {
  it('the API finishes an in-flight request, then exits 0 within 10 s', async () => {
    const api = startProcess('api/main.js', env());
    await api.waitForLog('API listening');
    const sub = 'graceful-user';
    const token = await developmentToken(sub);
    const body = JSON.stringify({ email: 'graceful@example.com', timezone: 'Europe/London' });

    // A request whose body is still arriving when SIGTERM lands.
    const socket = net.connect(apiPort, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let response = '';
    socket.on('data', (chunk) => (response += chunk.toString()));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(
      `PUT /auth/users/${sub} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, 10)}`,
    );
    // Fixed: nothing shows that the API has read the headers (no log, no metric until the
    // answer); 200 ms on loopback is ample, and a request it had not read would fail the test.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const signalled = Date.now();
    api.child.kill('SIGTERM');
    // The rest of the body arrives once the API is shutting down.
    await api.waitForLog('shutting down');
    socket.write(body.slice(10));
    await closed;

    const { code } = await api.exited;
    expect(response).toMatch(/^HTTP\/1\.1 201 /);
    expect(code).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(10000);
    expect(api.output()).toContain('stopped cleanly');
  }, 30000);

  it('the worker exits 0 within 10 s', async () => {
    const worker = startProcess('worker/main.js', env());
    await worker.waitForLog('worker health port listening');
    const ready = await fetch(`http://127.0.0.1:${workerPort}/ready`);
    expect(ready.status).toBe(200);
    const signalled = Date.now();
    worker.child.kill('SIGTERM');
    const { code } = await worker.exited;
    expect(code).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(10000);
  }, 30000);
});

describe('SIGTERM under load (docs/dispatch.md, docs/operations.md#shutdown)', () => {
  const onesignal = new OneSignalStub();
  const proxy = new HoldingProxy(() => onesignal.url);
  let stack: Stack;

  beforeAll(async () => {
    await onesignal.start();
    await proxy.start();
    stack = await startStack({
      INTERNAL_API_KEYS: 'e2e-graceful-key',
      ONESIGNAL_APP_ID: 'e2e-app',
      ONESIGNAL_REST_API_KEY: 'e2e-rest-key',
      ONESIGNAL_API_URL: proxy.url,
      // Short locks: a job left active by the stopping worker would be reported stalled within seconds.
      WORKER_LOCK_DURATION_MS: '4000',
      WORKER_STALLED_INTERVAL_MS: '2000',
    });
  }, 120000);
  afterAll(async () => {
    await stack?.stop();
    await proxy.stop();
    await onesignal.stop();
  });

  it('the worker finishes its active jobs, exits 0, and leaves the rest to the next worker, nothing stalled', async () => {
    const total = 24;
    const concurrency = 16; // the reminders queue's (src/reminders/jobs.ts)
    proxy.hold();
    await Promise.all(Array.from({ length: total }, (_, i) => createUser(stack.base, `graceful-load-${i}`)));
    // The worker holds as many calls as it runs jobs at once; the others wait in Redis.
    await waitFor(
      async () => proxy.held,
      (held) => held === concurrency,
      30000,
      'calls in flight',
    );

    const worker = stack.worker;
    worker.child.kill('SIGTERM');
    await worker.waitForLog('shutting down');
    // The answers come while the worker is stopping: it must wait for them. Fixed on
    // purpose: a stop that did not wait would have exited within these 500 ms.
    await new Promise((resolve) => setTimeout(resolve, 500));
    proxy.release();
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(worker.output()).toContain('stopped cleanly');
    expect(worker.output()).not.toContain('did not finish in time');

    // Each job it had taken ended with its row; the others were never started.
    const afterStop = await query<{ status: string; schedule_sent_at: Date | null }>(
      stack.databaseUrl,
      "select status, schedule_sent_at from reminders where type = 'progress'",
    );
    expect(afterStop).toHaveLength(total);
    expect(countBy(afterStop, (row) => row.status)).toEqual(
      new Map([
        ['scheduled', concurrency],
        ['pending', total - concurrency],
      ]),
    );
    for (const row of afterStop.filter((r) => r.status === 'pending'))
      expect(row.schedule_sent_at).toBeNull();
    expect(proxy.calls.every((call) => call.delivered === true)).toBe(true);
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      expect(await redis.llen(`${stack.queuePrefix}:reminders:active`)).toBe(0);
    } finally {
      redis.disconnect();
    }

    // The next worker takes the rest.
    await stack.startWorker();
    const final = await waitFor(
      () =>
        query<{ id: string; status: string }>(
          stack.databaseUrl,
          "select id, status from reminders where type = 'progress'",
        ),
      (rows) => rows.every((row) => row.status === 'scheduled'),
      30000,
      'every reminder scheduled',
    );
    // Each notification created once: no job ran twice.
    const creates = countBy(onesignal.creates(), (call) =>
      String((call.body as { idempotency_key: string }).idempotency_key),
    );
    expect([...creates.keys()].sort()).toEqual(final.map((row) => row.id).sort());
    expect([...creates.values()].every((n) => n === 1)).toBe(true);

    // Fixed on purpose, a window in which nothing may stall: long enough for the new
    // worker's stall checks to have run a few times (lock 4 s, checks every 2 s).
    await new Promise((resolve) => setTimeout(resolve, 7000));
    for (const queue of ['reminders', 'maintenance', 'accounts', 'dentist-requests'])
      expect(await stalledJobIds(stack.queuePrefix, queue)).toEqual([]);
  }, 90000);

  it('the API answers every request in flight, keep-alive ones included, then exits 0', async () => {
    const { process: api, base } = await stack.startApi();
    const port = Number(new URL(base).port);
    const requests = 20;
    const sockets = await Promise.all(
      Array.from({ length: requests }, async (_, i) => {
        const sub = `graceful-inflight-${i}`;
        const token = await developmentToken(sub);
        const body = JSON.stringify({ email: `${sub}@example.com`, timezone: 'Europe/London' });
        const socket = net.connect(port, '127.0.0.1');
        await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
        let response = '';
        socket.on('data', (chunk) => (response += chunk.toString()));
        const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
        // Half the clients keep their connection alive (HTTP/1.1's default), as a load balancer does.
        socket.write(
          `PUT /auth/users/${sub} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n` +
            (i % 2 === 0 ? 'Connection: close\r\n' : '') +
            `\r\n${body.slice(0, 10)}`,
        );
        return { socket, rest: body.slice(10), closed, response: () => response };
      }),
    );
    // Fixed, as above: the API shows nothing of having read the headers.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const signalled = Date.now();
    api.child.kill('SIGTERM');
    await api.waitForLog('shutting down');
    for (const { socket, rest } of sockets) socket.write(rest);

    const { code } = await api.exited;
    await Promise.all(sockets.map(({ closed }) => closed));
    for (const { response } of sockets) expect(response()).toMatch(/^HTTP\/1\.1 201 /);
    expect(code).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(9000);
    expect(api.output()).toContain('stopped cleanly');
    const users = await query<{ n: string }>(
      stack.databaseUrl,
      "select count(*) as n from users where cognito_sub like 'graceful-inflight-%'",
    );
    expect(Number(users[0]!.n)).toBe(requests);
  }, 60000);
});

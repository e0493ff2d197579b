import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { developmentToken } from '../../src/dev/development-token.js';
import { createTestDatabase } from '../support/database.js';
import { freePort } from '../support/free-port.js';
import { deleteKeys, REDIS_URL, uniqueQueuePrefix } from '../support/redis.js';
import { ensureBuilt, startProcess } from './processes.js';

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

describe('SIGTERM (SPEC §9)', () => {
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
    await new Promise((resolve) => setTimeout(resolve, 200));
    const signalled = Date.now();
    api.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
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

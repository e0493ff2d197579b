import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../../support/app.js';
import { TcpProxy } from '../../support/tcp-proxy.js';
import { waitFor } from '../../support/jobs.js';

// The app reaches Redis through a proxy we can cut, so "Redis stopped" is real for
// the app without stopping the Redis that other test files use.
let proxy: TcpProxy;
let app: TestApp;

beforeAll(async () => {
  proxy = await new TcpProxy(6379).start();
  app = await startTestApp({ env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}` } });
});
afterAll(async () => {
  await app.close();
  await proxy.stop();
});

describe('GET /health and GET /ready (docs/operations.md#health-and-readiness)', () => {
  it('is ready when Postgres, Redis and migrations are', async () => {
    const response = await app.request('/ready');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ready',
      checks: { postgres: 'ok', redis: 'ok', migrations: 'ok' },
    });
  });

  it('names Redis when it stops, keeps /health at 200, and recovers without a restart', async () => {
    await proxy.cut();
    const down = await app.request('/ready');
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({
      status: 'not_ready',
      checks: { postgres: 'ok', redis: 'unreachable', migrations: 'ok' },
    });
    expect((await app.request('/health')).status).toBe(200);

    await proxy.restore();
    await waitFor(async () => (await app.request('/ready')).status === 200, Boolean, 10000);
    expect(await (await app.request('/ready')).json()).toMatchObject({ status: 'ready' });
  });
});

describe('GET /ready with Postgres unreachable', () => {
  it('is 503 naming Postgres, and /health stays 200', async () => {
    const broken = await startTestApp({ env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' } });
    try {
      const response = await broken.request('/ready');
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ checks: { postgres: 'unreachable', redis: 'ok' } });
      expect((await broken.request('/health')).status).toBe(200);
    } finally {
      await broken.close();
    }
  });
});

import { eraseAccountJob } from '../../../src/accounts/jobs.js';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { QUEUES } from '../../../src/queues.js';
import { startTestApp, tokenFor, type TestApp } from '../../support/app.js';
import { createUser } from '../../support/factories.js';
import { waitFor } from '../../support/jobs.js';
import { sample } from '../../support/metrics.js';
import { startTestWorker } from '../../support/worker.js';

const QUEUE_NAMES = QUEUES.map((queue) => queue.name);

let app: TestApp;
const ADMIN = { ADMIN_USERNAME: 'ops', ADMIN_PASSWORD: 'correct horse battery staple' };
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

beforeAll(async () => {
  app = await startTestApp({ env: ADMIN });
});
afterAll(() => app.close());

describe('GET /metrics (API)', () => {
  it('labels request durations by route template, never by the raw path', async () => {
    const user = await createUser(app.deps.knex);
    expect(
      (await app.request(`/auth/users/${user.cognito_sub}`, { token: await tokenFor(user.cognito_sub) }))
        .status,
    ).toBe(200);
    await app.request(`/no/such/${randomUUID()}`);
    const response = await app.request('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    const count = (labels: Record<string, string>) =>
      sample(text, 'http_request_duration_seconds_count', labels);
    expect(
      count({ method: 'GET', route: '/auth/users/:cognito_sub', status: '200', service: 'api' }),
    ).toBeGreaterThanOrEqual(1);
    expect(count({ method: 'GET', route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain(user.cognito_sub);
    expect(text).toContain('process_cpu_seconds_total');
  });

  it('reports queue depth by state for every queue', async () => {
    await app.deps.dispatcher.dispatch([{ job: eraseAccountJob, rowId: randomUUID() }]);
    const text = await (await app.request('/metrics')).text();
    for (const queue of QUEUE_NAMES)
      expect(sample(text, 'bullmq_queue_jobs', { queue, state: 'waiting' })).toBeDefined();
    expect(sample(text, 'bullmq_queue_jobs', { queue: 'accounts', state: 'waiting' })).toBeGreaterThanOrEqual(
      1,
    );
  });
});

describe('worker job metrics', () => {
  it('move when a job completes or fails', async () => {
    let calls = 0;
    const worker = await startTestWorker(app.config, [
      {
        job: eraseAccountJob,

        process: async () => {
          calls += 1;
          if (calls === 1) throw new Error('first attempt fails');
        },
      },
    ]);
    try {
      await app.deps.dispatcher.dispatch([{ job: eraseAccountJob, rowId: randomUUID() }]);
      const text = await waitFor(
        async () => (await worker.metrics.render()).body,
        (body) =>
          (sample(body, 'bullmq_jobs_total', {
            queue: 'accounts',
            name: 'erase-account',
            outcome: 'completed',
          }) ?? 0) >= 1,
      );
      expect(
        sample(text, 'bullmq_jobs_total', {
          queue: 'accounts',
          name: 'erase-account',
          outcome: 'failed',
          service: 'worker',
        }),
      ).toBe(1);
      expect(
        sample(text, 'bullmq_job_duration_seconds_count', { name: 'erase-account', outcome: 'completed' }),
      ).toBeGreaterThanOrEqual(1);
    } finally {
      await worker.stop();
    }
  });
});

describe('Bull Board at /admin/queues', () => {
  it('asks for credentials, refuses wrong ones, and lists every queue with the right ones', async () => {
    const anonymous = await app.request('/admin/queues');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Basic realm=');
    expect(
      (await app.request('/admin/queues', { headers: { authorization: basic('ops', 'wrong') } })).status,
    ).toBe(401);
    expect(
      (await app.request('/admin/queues/api/queues', { headers: { authorization: basic('ops', 'wrong') } }))
        .status,
    ).toBe(401);

    const page = await app.request('/admin/queues', {
      headers: { authorization: basic(ADMIN.ADMIN_USERNAME, ADMIN.ADMIN_PASSWORD) },
    });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    const api = await app.request('/admin/queues/api/queues', {
      headers: { authorization: basic(ADMIN.ADMIN_USERNAME, ADMIN.ADMIN_PASSWORD) },
    });
    expect(api.status).toBe(200);
    const { queues } = (await api.json()) as { queues: Array<{ name: string }> };
    expect(queues.map((queue) => queue.name).sort()).toEqual([...QUEUE_NAMES].sort());
  });

  it('is absent (404) when no admin credentials are configured', async () => {
    const plain = await startTestApp({ databaseUrl: app.config.DATABASE_URL });
    try {
      expect((await plain.request('/admin/queues')).status).toBe(404);
      expect(
        (await plain.request('/admin/queues', { headers: { authorization: basic('ops', 'x') } })).status,
      ).toBe(404);
    } finally {
      await plain.close();
    }
  });
});

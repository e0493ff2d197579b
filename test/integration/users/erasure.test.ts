import { waitFor } from '../../support/jobs.js';
import { accountsQueue, eraseAccountJob } from '../../../src/accounts/jobs.js';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eraseAccountProcessor } from '../../../src/accounts/erase-account-job.js';
import { erasureSteps } from '../../../src/accounts/erasure-steps.js';
import { jobIdFor } from '../../../src/shared/jobs/queues.js';
import { sweep } from '../../../src/worker/maintenance/sweep.js';
import { sweepSources } from '../../support/worker.js';
import { startTestApp, tokenFor, type TestApp } from '../../support/app.js';
import { createUser } from '../../support/factories.js';
import { startTestWorker, workerContextFor } from '../../support/worker.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const erasureOf = (id: string) => app.deps.knex('account_erasures').where({ id }).first();

describe('DELETE /auth/users/{cognito_sub} (docs/resources.md#account-erasure)', () => {
  it('answers 202, hides the profile at once, and the worker erases every row', async () => {
    const user = await createUser(app.deps.knex);
    await app.deps.knex('user_settings').insert({ user_id: user.id, reminder_time: '08:30' });
    await app.deps.knex('idempotency_keys').insert({
      cognito_sub: user.cognito_sub,
      key: 'k1',
      method: 'POST',
      path: '/x',
      request_hash: 'h',
    });
    const token = await tokenFor(user.cognito_sub);

    const response = await app.request(`/auth/users/${user.cognito_sub}`, { method: 'DELETE', token });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { id: string; status: string };
    expect(body).toEqual({ id: expect.any(String), status: 'pending' });

    // Gone to every caller before the worker has run.
    expect((await app.request(`/auth/users/${user.cognito_sub}`, { token })).status).toBe(404);
    expect((await app.request(`/auth/users/${user.cognito_sub}`, { method: 'DELETE', token })).status).toBe(
      404,
    );
    const lookup = await app.request(`/internal/users?email=${encodeURIComponent(user.email)}`, {
      headers: { 'x-api-key': app.config.INTERNAL_API_KEYS[0]! },
    });
    expect(lookup.status).toBe(404);
    // A late PUT does not resurrect it while the erasure runs.
    const put = await app.request(`/auth/users/${user.cognito_sub}`, {
      method: 'PUT',
      token,
      json: { email: 'again@example.com', timezone: 'UTC' },
    });
    expect(put.status).toBe(409);
    expect(await put.json()).toMatchObject({ code: 'erasure_in_progress' });

    const worker = await startTestWorker(app.config);
    try {
      const erasure = await waitFor(
        () => erasureOf(body.id),
        (row) => row?.status === 'completed',
      );
      expect(erasure).toMatchObject({
        status: 'completed',
        completed_steps: erasureSteps.map((step) => step.name),
        attempts: 1,
      });
    } finally {
      await worker.stop();
    }
    expect(await app.deps.knex('users').where({ id: user.id }).first()).toBeUndefined();
    expect(await app.deps.knex('user_settings').where({ user_id: user.id }).first()).toBeUndefined();
    expect(
      await app.deps.knex('idempotency_keys').where({ cognito_sub: user.cognito_sub }).first(),
    ).toBeUndefined();

    // The same person can sign up again afterwards.
    const again = await app.request(`/auth/users/${user.cognito_sub}`, {
      method: 'PUT',
      token,
      json: { email: user.email, timezone: 'UTC' },
    });
    expect(again.status).toBe(201);
  });

  it('403 for another user, 404 for a user with no profile', async () => {
    const me = randomUUID();
    const token = await tokenFor(me);
    expect((await app.request(`/auth/users/${randomUUID()}`, { method: 'DELETE', token })).status).toBe(403);
    expect((await app.request(`/auth/users/${me}`, { method: 'DELETE', token })).status).toBe(404);
  });
});

describe('erase-account processor', () => {
  const context = () => workerContextFor(app);
  const job = (rowId: string, attemptsMade = 0) =>
    ({ data: { rowId }, attemptsMade, opts: { attempts: 3 } }) as unknown as Parameters<
      ReturnType<typeof eraseAccountProcessor>
    >[0];

  async function pendingErasure(): Promise<string> {
    const user = await createUser(app.deps.knex, { deleted_at: new Date() });
    const [row] = await app.deps
      .knex('account_erasures')
      .insert({ user_id: user.id, cognito_sub: user.cognito_sub })
      .returning('id');
    return (row as { id: string }).id;
  }

  it('resumes after a failed step without repeating the steps already done', async () => {
    const calls: string[] = [];
    let failOnce = true;
    const steps = [
      { name: 'external-a', run: async () => void calls.push('a') },
      {
        name: 'external-b',
        run: async () => {
          calls.push('b');
          if (failOnce) {
            failOnce = false;
            throw new Error('S3 is having a moment');
          }
        },
      },
      ...erasureSteps,
    ];
    const processor = eraseAccountProcessor(steps);
    const id = await pendingErasure();
    await expect(processor(job(id, 0), context())).rejects.toThrow('S3 is having a moment');
    expect(await erasureOf(id)).toMatchObject({
      status: 'pending',
      completed_steps: ['external-a'],
      last_error: 'S3 is having a moment',
    });
    await processor(job(id, 1), context());
    expect(calls).toEqual(['a', 'b', 'b']);
    expect(await erasureOf(id)).toMatchObject({ status: 'completed', last_error: null, attempts: 2 });
    // Running it again (duplicate job, sweeper) does nothing.
    await processor(job(id, 0), context());
    expect(calls).toHaveLength(3);
  });

  it('records failed on the last attempt', async () => {
    const processor = eraseAccountProcessor([
      {
        name: 'always-fails',
        run: async () => {
          throw new Error('still down');
        },
      },
    ]);
    const id = await pendingErasure();
    await expect(processor(job(id, 2), context())).rejects.toThrow('still down');
    expect(await erasureOf(id)).toMatchObject({ status: 'failed', last_error: 'still down' });
  });
});

describe('sweeper and erasures', () => {
  it('enqueues a pending erasure whose job was never enqueued (Redis was down at the request)', async () => {
    const user = await createUser(app.deps.knex, { deleted_at: new Date() });
    const [row] = await app.deps
      .knex('account_erasures')
      // Older than the sweeper's grace period: its job should long have run.
      .insert({
        user_id: user.id,
        cognito_sub: user.cognito_sub,
        requested_at: new Date(Date.now() - 120_000),
      })
      .returning('id');
    const id = (row as { id: string }).id;
    await sweep(app.deps.knex, app.deps.dispatcher, sweepSources, app.deps.logger);
    expect(await app.deps.queues.of(accountsQueue).getJob(jobIdFor(eraseAccountJob, id))).toBeDefined();
  });
});

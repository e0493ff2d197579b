import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { deleteExpiredIdempotencyKeys, requestHash } from '../../../src/api/middleware/idempotency.js';
import { defineRoute, type AnyRoute } from '../../../src/api/route.js';
import { routes } from '../../../src/api/routes/index.js';
import { AppError } from '../../../src/shared/errors.js';
import { startTestApp, tokenFor, type TestApp } from '../../support/app.js';
import { waitFor } from '../../support/jobs.js';

/** Every way the test handler can end, chosen by the request body. */
const outcomes = ['created', 'not_found', 'conflict', 'crash'] as const;

let runs = 0;
let gate: Promise<void> | undefined;

const testBody = z.strictObject({
  label: z.string().min(1),
  outcome: z.enum(outcomes).default('created'),
  // Makes the handler wait for `gate`, to hold a request in flight.
  wait: z.boolean().default(false),
});

/** Does real work (a users row) so that a second run shows in the database, not only in `runs`. */
const testRoute = (suffix: string): AnyRoute =>
  defineRoute({
    method: 'post',
    path: `/auth/users/:cognito_sub/test-idempotent${suffix}`,
    summary: 'Test route: creates a row per run',
    tag: 'test',
    auth: 'jwt',
    idempotent: true,
    params: z.object({ cognito_sub: z.string() }),
    body: testBody,
    responses: { 201: { description: 'Created' } },
    handler: async (ctx, { body }, deps) => {
      runs += 1;
      const run = runs;
      if (body.wait) await gate;
      if (body.outcome === 'crash') throw new Error('handler failed');
      if (body.outcome === 'not_found') throw new AppError(404, 'not_found', `nothing for ${body.label}`);
      if (body.outcome === 'conflict') throw new AppError(409, 'conflict', 'try again');
      const [row] = (await deps
        .knex('users')
        .insert({
          cognito_sub: randomUUID(),
          email: `${randomUUID()}@example.com`,
          first_name: body.label,
          timezone: 'UTC',
        })
        .returning('id')) as Array<{ id: string }>;
      ctx.status = 201;
      ctx.body = { id: row?.id, label: body.label, run, nested: { b: 2, a: [1, { z: true, y: null }] } };
    },
  });

let app: TestApp;
let sub: string;
let token: string;

beforeAll(async () => {
  app = await startTestApp({ routes: [...routes, testRoute(''), testRoute('/other')] });
});
afterAll(() => app.close());
beforeEach(async () => {
  sub = randomUUID();
  token = await tokenFor(sub);
  runs = 0;
  gate = undefined;
});

const post = (
  json: unknown,
  key?: string,
  options: { as?: { sub: string; token: string }; path?: string } = {},
) =>
  app.request(`/auth/users/${options.as?.sub ?? sub}/test-idempotent${options.path ?? ''}`, {
    method: 'POST',
    token: options.as?.token ?? token,
    headers: key !== undefined ? { 'idempotency-key': key } : {},
    json,
  });

const rowsLabelled = async (label: string) =>
  Number(
    ((await app.deps.knex('users').where({ first_name: label }).count({ n: '*' })) as [{ n: string }])[0].n,
  );
const keyRow = (key: string, cognitoSub = sub) =>
  app.deps.knex('idempotency_keys').where({ cognito_sub: cognitoSub, key }).first();

describe('Idempotency-Key on mobile POSTs', () => {
  it('answers a retry with the first response and does the work once', async () => {
    const key = randomUUID();
    const label = randomUUID();
    const first = await post({ label, outcome: 'created' }, key);
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const firstBody = await first.json();

    // The same body with its keys in another order is the same request.
    const retry = await post({ outcome: 'created', label }, key);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await retry.json()).toEqual(firstBody);

    expect(runs).toBe(1);
    expect(await rowsLabelled(label)).toBe(1);
    expect(await keyRow(key)).toMatchObject({
      method: 'POST',
      response_status: 201,
      response_body: firstBody,
    });
  });

  it('refuses the key with another body (422 idempotency_key_reused), running nothing', async () => {
    const key = randomUUID();
    expect((await post({ label: 'first' }, key)).status).toBe(201);
    const other = await post({ label: 'second' }, key);
    expect(other.status).toBe(422);
    expect(other.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await other.json()).toMatchObject({ status: 422, code: 'idempotency_key_reused' });
    expect(runs).toBe(1);
  });

  it('refuses the key on another endpoint with the same body (422 idempotency_key_reused)', async () => {
    const key = randomUUID();
    const label = randomUUID();
    expect((await post({ label }, key)).status).toBe(201);
    const other = await post({ label }, key, { path: '/other' });
    expect(other.status).toBe(422);
    expect(await other.json()).toMatchObject({ code: 'idempotency_key_reused' });
    expect(await rowsLabelled(label)).toBe(1);
  });

  it('answers 409 idempotency_key_in_use while the first request still runs, then replays it', async () => {
    const key = randomUUID();
    const label = randomUUID();
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));

    const first = post({ label, wait: true }, key);
    await waitFor(async () => (await keyRow(key)) !== undefined && runs === 1, Boolean, 5000);

    const concurrent = await post({ label, wait: true }, key);
    expect(concurrent.status).toBe(409);
    expect(concurrent.headers.get('retry-after')).toBe('1');
    expect(await concurrent.json()).toMatchObject({ code: 'idempotency_key_in_use' });
    // Another body while the first runs is still a misuse of the key, not a wait.
    expect((await post({ label: 'different' }, key)).status).toBe(422);

    open();
    const firstResponse = await first;
    expect(firstResponse.status).toBe(201);
    const after = await post({ label, wait: true }, key);
    expect(after.headers.get('idempotent-replayed')).toBe('true');
    expect(await after.json()).toEqual(await firstResponse.json());
    expect(runs).toBe(1);
    expect(await rowsLabelled(label)).toBe(1);
  });

  it('runs the handler once when identical requests race (the rest: 409 or the replay)', async () => {
    const key = randomUUID();
    const label = randomUUID();
    const responses = await Promise.all(Array.from({ length: 6 }, () => post({ label }, key)));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((status) => status === 201 || status === 409)).toBe(true);
    expect(runs).toBe(1);
    expect(await rowsLabelled(label)).toBe(1);
  });

  it('scopes keys to the user: two users with the same key each get their own run', async () => {
    const key = randomUUID();
    const label = randomUUID();
    const otherSub = randomUUID();
    const other = { sub: otherSub, token: await tokenFor(otherSub) };

    const mine = await post({ label }, key);
    const theirs = await post({ label }, key, { as: other });
    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    expect(runs).toBe(2);
    expect(await rowsLabelled(label)).toBe(2);
    expect(await keyRow(key, otherSub)).toMatchObject({ response_status: 201 });
  });

  it('runs every request that has no key', async () => {
    const label = randomUUID();
    expect((await post({ label })).status).toBe(201);
    expect((await post({ label })).status).toBe(201);
    expect(runs).toBe(2);
    expect(await rowsLabelled(label)).toBe(2);
  });

  it('forgets a key after 24 h: the request runs again, with any body', async () => {
    const key = randomUUID();
    const label = randomUUID();
    expect((await post({ label }, key)).status).toBe(201);
    await app.deps
      .knex('idempotency_keys')
      .where({ cognito_sub: sub, key })
      .update({ created_at: app.deps.knex.raw("now() - interval '24 hours 1 second'") });

    const again = await post({ label }, key);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(await again.json()).toMatchObject({ run: 2 });
    // The key now belongs to the new request, for another 24 h.
    expect((await post({ label }, key)).headers.get('idempotent-replayed')).toBe('true');

    await app.deps
      .knex('idempotency_keys')
      .where({ cognito_sub: sub, key })
      .update({ created_at: app.deps.knex.raw("now() - interval '25 hours'") });
    expect((await post({ label: 'another body' }, key)).status).toBe(201);
    expect(runs).toBe(3);
  });

  it('stores a definitive client error (404) and replays it', async () => {
    const key = randomUUID();
    const first = await post({ label: 'x', outcome: 'not_found' }, key);
    expect(first.status).toBe(404);
    const firstBody = await first.json();
    const retry = await post({ label: 'x', outcome: 'not_found' }, key);
    expect(retry.status).toBe(404);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await retry.json()).toEqual(firstBody);
    expect(runs).toBe(1);
  });

  it.each([
    ['a server error (500)', 'crash', 500],
    ['a transient refusal (409)', 'conflict', 409],
  ] as const)(
    'does not store %s: the key is freed and a retry runs again',
    async (_case, outcome, status) => {
      const key = randomUUID();
      const first = await post({ label: 'x', outcome }, key);
      expect(first.status).toBe(status);
      expect(await keyRow(key)).toBeUndefined();
      const retry = await post({ label: 'x', outcome }, key);
      expect(retry.status).toBe(status);
      expect(retry.headers.get('idempotent-replayed')).toBeNull();
      expect(runs).toBe(2);
    },
  );

  it('claims no key for an invalid request: it is refused, and the key stays free', async () => {
    const key = randomUUID();
    const invalid = await post({ label: '' }, key);
    expect(invalid.status).toBe(422);
    expect(await invalid.json()).toMatchObject({ code: 'validation_failed' });
    expect(await keyRow(key)).toBeUndefined();
    expect((await post({ label: 'valid' }, key)).status).toBe(201);
    expect(runs).toBe(1);
  });

  it('claims no key for another user’s path (403 comes first)', async () => {
    const key = randomUUID();
    const response = await app.request(`/auth/users/${randomUUID()}/test-idempotent`, {
      method: 'POST',
      token,
      headers: { 'idempotency-key': key },
      json: { label: 'x' },
    });
    expect(response.status).toBe(403);
    expect(await app.deps.knex('idempotency_keys').where({ key }).first()).toBeUndefined();
  });

  it('lets a retry take over a claim abandoned for over 60 s (a crashed process)', async () => {
    const key = randomUUID();
    const label = randomUUID();
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    // Stands for the process that crashed: it holds the claim and never finishes in time.
    const stuck = post({ label, wait: true }, key);
    await waitFor(async () => (await keyRow(key)) !== undefined && runs === 1, Boolean, 5000);
    await app.deps
      .knex('idempotency_keys')
      .where({ cognito_sub: sub, key })
      .update({ created_at: app.deps.knex.raw("now() - interval '61 seconds'") });

    // The abandoned claim is the same request's only: another body is still refused.
    expect((await post({ label: 'different' }, key)).status).toBe(422);
    gate = undefined;
    const retry = await post({ label, wait: true }, key);
    expect(retry.status).toBe(201);
    const retryBody = (await retry.json()) as { run: number };
    expect(retryBody.run).toBe(2);

    // The stuck request finishing late does not overwrite its successor's response.
    open();
    expect((await stuck).status).toBe(201);
    const replay = await post({ label, wait: true }, key);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.json()).toEqual(retryBody);
  });

  it.each([
    ['empty', ''],
    ['longer than 255 characters', 'k'.repeat(256)],
    ['not printable ASCII', 'key\twith-tab'],
  ])('refuses a key that is %s with 422 and the header path', async (_case, key) => {
    const response = await post({ label: 'x' }, key);
    expect(response.status).toBe(422);
    const body = (await response.json()) as { code: string; errors: Array<{ path: string }> };
    expect(body.code).toBe('validation_failed');
    expect(body.errors.map((error) => error.path)).toEqual(['headers.idempotency-key']);
    expect(runs).toBe(0);
  });

  it('accepts a key of 255 printable characters', async () => {
    const key = `${'~ !'.repeat(84)}abc`;
    expect(key).toHaveLength(255);
    expect((await post({ label: 'x' }, key)).status).toBe(201);
    expect((await post({ label: 'x' }, key)).headers.get('idempotent-replayed')).toBe('true');
  });
});

describe('deleteExpiredIdempotencyKeys', () => {
  it('deletes keys older than 24 h, in batches, and keeps the rest', async () => {
    const owner = randomUUID();
    const row = (key: string, age: string) => ({
      cognito_sub: owner,
      key,
      method: 'POST',
      path: '/auth/users/x/images',
      request_hash: requestHash('POST', '/auth/users/x/images', {}, {}),
      created_at: app.deps.knex.raw(`now() - interval '${age}'`),
    });
    await app.deps
      .knex('idempotency_keys')
      .insert([
        ...Array.from({ length: 5 }, (_, i) => row(`old-${i}`, '25 hours')),
        row('in-progress-and-old', '3 days'),
        row('fresh', '1 hour'),
        row('almost-expired', '23 hours 59 minutes'),
      ]);

    expect(await deleteExpiredIdempotencyKeys(app.deps.knex, { batchSize: 2 })).toBeGreaterThanOrEqual(6);
    const left = await app.deps.knex('idempotency_keys').where({ cognito_sub: owner }).pluck('key');
    expect(left.sort()).toEqual(['almost-expired', 'fresh']);
    expect(await deleteExpiredIdempotencyKeys(app.deps.knex)).toBe(0);
  });
});

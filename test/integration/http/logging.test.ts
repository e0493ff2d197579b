import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { defineRoute, type AnyRoute } from '../../../src/api/route.js';
import { routes as allRoutes } from '../../../src/api/routes/index.js';
import { createLogger } from '../../../src/shared/logger.js';
import { startTestApp, tokenFor, type TestApp } from '../../support/app.js';
import { TEST_INTERNAL_KEYS, testConfig } from '../../support/config.js';
import { createUser } from '../../support/factories.js';
import { LogCapture } from '../../support/logs.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const testRoutes: AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: '/test/chatty',
    summary: 'Logs from inside the handler, before and after awaiting',
    tag: 'test',
    auth: 'none',
    responses: { 200: { description: 'Always' } },
    handler: async (ctx, _input, deps) => {
      deps.logger.info('handler started');
      // A timer on purpose: the request's log context must survive an await across it.
      await new Promise((resolve) => setTimeout(resolve, 5));
      await deps.knex.raw('select 1');
      deps.logger.child({ component: 'child' }).warn('after awaiting');
      ctx.body = { ok: true };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/test/broken-insert',
    summary: 'An unexpected database error whose detail holds the failing row',
    tag: 'test',
    auth: 'none',
    responses: { 500: { description: 'Always' } },
    handler: async (ctx, _input, deps) => {
      // No timezone: a not-null violation, and Postgres puts the whole row in `detail`.
      await deps.knex('users').insert({ cognito_sub: randomUUID(), email: 'row.detail.leak@example.com' });
      ctx.status = 201;
    },
  }),
];

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ routes: [...allRoutes, ...testRoutes] });
});
afterAll(() => app.close());

/** The lines the app logged while `fn` ran (requests in this file run one at a time). */
async function linesDuring(fn: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const start = app.logs.lines.length;
  await fn();
  return app.logs.lines.slice(start).map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('redaction of sensitive values (docs/operations.md#logs, LOG_REDACT_SENSITIVE=true)', () => {
  it('logs no JWT, API key, email or name from a mobile PUT and an internal lookup by email', async () => {
    const sub = randomUUID();
    const token = await tokenFor(sub);
    const fakeKey = 'fake-api-key-0123456789';
    const email = `Private.Person+${randomUUID().slice(0, 8)}@example.com`;
    const names = { first_name: 'Quenelda', last_name: 'Vorstrapp' };
    const lookedUp = 'someone@example.com';

    const logged = await linesDuring(async () => {
      const put = await app.request(`/auth/users/${sub}`, {
        method: 'PUT',
        token,
        headers: { 'x-api-key': fakeKey },
        json: { email, ...names, timezone: 'Europe/London', locale: 'en-GB' },
      });
      expect(put.status).toBe(201);
      // The same email from another account: a 409 that must not log it either.
      const other = randomUUID();
      const taken = await app.request(`/auth/users/${other}`, {
        method: 'PUT',
        token: await tokenFor(other),
        json: { email, timezone: 'UTC' },
      });
      expect(taken.status).toBe(409);
      for (const query of [
        `email=${lookedUp}`,
        `email=${encodeURIComponent(lookedUp)}`,
        `email=${encodeURIComponent(email)}`,
      ]) {
        const response = await app.request(`/internal/users?${query}`, {
          headers: { 'x-api-key': TEST_INTERNAL_KEYS[0] },
        });
        expect([200, 404]).toContain(response.status);
      }
      const wrongKey = await app.request(`/internal/users?email=${encodeURIComponent(lookedUp)}`, {
        headers: { 'x-api-key': fakeKey },
      });
      expect(wrongKey.status).toBe(401);
    });

    expect(logged.filter((entry) => entry.msg === 'request')).toHaveLength(6);
    const text = JSON.stringify(logged);
    const forbidden = [
      token,
      ...token.split('.').filter((part) => part.length > 8),
      `Bearer ${token}`,
      fakeKey,
      ...TEST_INTERNAL_KEYS,
      email,
      email.toLowerCase(),
      encodeURIComponent(email),
      lookedUp,
      encodeURIComponent(lookedUp),
      'someone%40example',
      names.first_name,
      names.last_name,
    ];
    expect(forbidden.filter((value) => text.includes(value))).toEqual([]);
    // The URL is still logged, with the email masked.
    expect(logged.map((entry) => entry.url)).toContain('/internal/users?email=[redacted]');
  });

  it('masks an email address in a path, plain or %40-encoded', async () => {
    const logged = await linesDuring(async () => {
      for (const path of [
        '/internal/users/by-email/who.ever@example.com/x',
        '/internal/users/who.ever%40example.com',
      ]) {
        const response = await app.request(path, { headers: { 'x-api-key': TEST_INTERNAL_KEYS[1] } });
        expect(response.status).toBeLessThan(500);
      }
    });
    expect(logged.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(logged)).not.toMatch(/who\.ever/);
  });

  it('logs no JWT passed in the query string, whatever the parameter is called', async () => {
    const sub = randomUUID();
    const token = await tokenFor(sub);
    const logged = await linesDuring(async () => {
      for (const name of ['token', 'access_token', 'id_token', 'jwt']) {
        await app.request(`/auth/users/${sub}?${name}=${token}`, { token });
      }
    });
    expect(logged.filter((entry) => entry.msg === 'request')).toHaveLength(4);
    const text = JSON.stringify(logged);
    expect(token.split('.').filter((part) => text.includes(part))).toEqual([]);
  });

  it('logs no email from the failing row of an unexpected database error', async () => {
    const logged = await linesDuring(async () => {
      const response = await app.request('/test/broken-insert', { method: 'POST' });
      expect(response.status).toBe(500);
    });
    const error = logged.find((entry) => entry.msg === 'unhandled error');
    // The error itself is logged, with what an engineer needs to fix it…
    expect(JSON.stringify(error)).toContain('23502');
    // …but not the personal data Postgres copied into its message or detail.
    expect(JSON.stringify(logged)).not.toContain('row.detail.leak');
  });
});

describe('createLogger redaction switch', () => {
  const config = testConfig();
  const write = (redact: boolean, object: Record<string, unknown>) => {
    const capture = new LogCapture();
    const logger = createLogger(
      { ...config, LOG_REDACT_SENSITIVE: redact },
      { name: 'test', destination: capture },
    );
    logger.info(object, 'something happened');
    return capture;
  };
  const sensitive = {
    email: 'plain@example.com',
    first_name: 'Ada',
    user: { email: 'nested@example.com', last_name: 'Lovelace' },
    req: {
      headers: {
        authorization: 'Bearer eyJ.abc.def',
        'x-api-key': 'k-123',
        'x-hubspot-signature-v3': 'sig==',
      },
    },
  };

  it('censors emails, names and credentials with [redacted] when LOG_REDACT_SENSITIVE=true', () => {
    const [entry] = write(true, sensitive).entries();
    expect(entry).toMatchObject({
      email: '[redacted]',
      first_name: '[redacted]',
      user: { email: '[redacted]', last_name: '[redacted]' },
      req: {
        headers: {
          authorization: '[redacted]',
          'x-api-key': '[redacted]',
          'x-hubspot-signature-v3': '[redacted]',
        },
      },
      msg: 'something happened',
    });
    const text = JSON.stringify(entry);
    for (const value of [
      'plain@example.com',
      'nested@example.com',
      'Ada',
      'Lovelace',
      'eyJ.abc.def',
      'k-123',
      'sig==',
    ]) {
      expect(text).not.toContain(value);
    }
  });

  it('leaves values as they are when LOG_REDACT_SENSITIVE=false (local debugging)', () => {
    const [entry] = write(false, sensitive).entries();
    expect(entry).toMatchObject(sensitive);
    expect(JSON.stringify(entry)).not.toContain('[redacted]');
  });

  it('follows the configuration: the test app redacts by default', () => {
    expect(app.config.LOG_REDACT_SENSITIVE).toBe(true);
    expect(testConfig({ LOG_REDACT_SENSITIVE: 'false' }).LOG_REDACT_SENSITIVE).toBe(false);
  });
});

describe('request ids (docs/conventions.md#request-ids)', () => {
  it('gives every response an x-request-id, a new UUID each time when none is sent', async () => {
    const responses = [
      await app.request('/health'),
      await app.request('/no/such/route'),
      await app.request('/internal/users'),
      await app.request('/health', { method: 'DELETE' }),
    ];
    const ids = responses.map((response) => response.headers.get('x-request-id'));
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(ids.length);
    // Problem documents carry the same id as the header.
    const problem = (await responses[1]!.json()) as { request_id: string };
    expect(problem.request_id).toBe(ids[1]);
  });

  it('echoes a well-formed incoming id', async () => {
    for (const id of ['req-12345678', 'A1b2C3d4.e5_f6-g7', randomUUID(), 'x'.repeat(128)]) {
      const response = await app.request('/health', { headers: { 'x-request-id': id } });
      expect(response.headers.get('x-request-id')).toBe(id);
    }
  });

  it.each([
    ['with spaces', 'bad id with spaces'],
    ['300 characters long', 'a'.repeat(300)],
    ['too short', 'abc'],
    ['with markup', '<script>alert(1)</script>'],
    ['with a JSON quote', 'abcdefgh"injected":"1'],
    ['empty', ''],
  ])('replaces a malformed incoming id (%s) by a UUID', async (_case, id) => {
    const response = await app.request('/health', { headers: { 'x-request-id': id } });
    const given = response.headers.get('x-request-id');
    expect(given).toMatch(UUID);
    expect(given).not.toBe(id);
  });

  it('puts the id on every log line written during the request, the handler’s own included', async () => {
    const id = 'req-logging-12345678';
    let response: Response | undefined;
    const logged = await linesDuring(async () => {
      response = await app.request('/test/chatty', { headers: { 'x-request-id': id } });
    });
    expect(response?.status).toBe(200);
    expect(logged.map((entry) => entry.msg)).toEqual(
      expect.arrayContaining(['handler started', 'after awaiting', 'request']),
    );
    expect(logged.filter((entry) => entry.request_id !== id)).toEqual([]);
  });

  it('puts the id on every log line of a failing request too', async () => {
    const id = 'req-failing-12345678';
    const logged = await linesDuring(async () => {
      const response = await app.request('/test/broken-insert', {
        method: 'POST',
        headers: { 'x-request-id': id },
      });
      expect(response.status).toBe(500);
      expect(((await response.json()) as { request_id: string }).request_id).toBe(id);
    });
    expect(logged.map((entry) => entry.msg)).toEqual(
      expect.arrayContaining(['unhandled error', 'request failed']),
    );
    expect(logged.filter((entry) => entry.request_id !== id)).toEqual([]);
  });

  it('logs the route template, not the raw path, in `route`', async () => {
    const user = await createUser(app.deps.knex);
    const id = 'req-route-template-1';
    const logged = await linesDuring(async () => {
      const response = await app.request(`/auth/users/${user.cognito_sub}`, {
        token: await tokenFor(user.cognito_sub),
        headers: { 'x-request-id': id },
      });
      expect(response.status).toBe(200);
    });
    const line = logged.find((entry) => entry.msg === 'request' && entry.request_id === id);
    expect(line).toMatchObject({
      method: 'GET',
      route: '/auth/users/:cognito_sub',
      status: 200,
      duration_ms: expect.any(Number),
    });
    expect(String(line?.route)).not.toContain(user.cognito_sub);
  });

  it('logs route null for a path that matches no route', async () => {
    const logged = await linesDuring(() => app.request('/no/such/route'));
    expect(logged.find((entry) => entry.msg === 'request')).toMatchObject({ route: null, status: 404 });
  });
});

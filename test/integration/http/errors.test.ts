import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { defineRoute, type AnyRoute } from '../../../src/api/route.js';
import { routes as allRoutes } from '../../../src/api/routes/index.js';
import { startTestApp, tokenFor, type TestApp } from '../../support/app.js';
import { TEST_INTERNAL_KEYS } from '../../support/config.js';
import { createUser } from '../../support/factories.js';
import {
  closeAgent,
  parseRawResponse,
  problemDefect,
  rawExchange,
  rawRequest,
  type RawRequest,
  type RawResponse,
} from '../../support/raw-http.js';

// A handler failing the way a careless query does: an Error whose message is SQL.
const LEAKY_MESSAGE = "select * from users where email = 'victim@example.com' -- syntax error at or near";

let boomRuns = 0;
const testRoutes: AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: '/test/boom',
    summary: 'Throws an unexpected error',
    tag: 'test',
    auth: 'none',
    responses: { 500: { description: 'Always' } },
    handler: async () => {
      boomRuns += 1;
      throw new Error(LEAKY_MESSAGE);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/test/bad-sql',
    summary: 'Runs a query Postgres rejects',
    tag: 'test',
    auth: 'none',
    responses: { 500: { description: 'Always' } },
    handler: async (ctx, _input, deps) => {
      ctx.body = await deps.knex.raw('select secret_column from no_such_table_xyz');
    },
  }),
  defineRoute({
    method: 'post',
    path: '/test/duplicate-user',
    summary: 'Inserts a user whose cognito_sub is taken',
    tag: 'test',
    auth: 'none',
    body: z.object({ cognito_sub: z.string() }),
    responses: { 409: { description: 'Always' } },
    handler: async (ctx, { body }, deps) => {
      await deps.knex('users').insert({
        cognito_sub: body.cognito_sub,
        email: `${randomUUID()}@example.com`,
        timezone: 'UTC',
      });
      ctx.status = 201;
    },
  }),
];

let app: TestApp;
let sub: string;
let token: string;

beforeAll(async () => {
  app = await startTestApp({ routes: [...allRoutes, ...testRoutes] });
  sub = (await createUser(app.deps.knex)).cognito_sub;
  token = await tokenFor(sub);
});
afterAll(async () => {
  closeAgent();
  await app.close();
});

const profile = { email: 'someone@example.com', timezone: 'Europe/London', locale: 'en-GB' };

/** Asserts an RFC 9457 problem document with this status and code, and returns it. */
async function expectProblem(response: Response, status: number, code: string) {
  const body = (await response.json()) as Record<string, unknown>;
  expect({ status: response.status, code: body.code }).toEqual({ status, code });
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(body).toMatchObject({
    type: expect.stringContaining(code),
    title: expect.any(String),
    status,
    detail: expect.any(String),
    code,
    request_id: response.headers.get('x-request-id'),
  });
  expect(body.request_id).toEqual(expect.any(String));
  return body;
}

/** A GET unless told otherwise, with the path sent byte for byte (fetch would normalise `..`). */
function raw(path: string, options: Partial<Omit<RawRequest, 'path'>> = {}): Promise<RawResponse> {
  return rawRequest(app, { method: 'GET', ...options, path });
}

/** Runs `fn` over `items`, `size` at a time. */
async function inBatches<T>(
  items: readonly T[],
  size: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  for (let start = 0; start < items.length; start += size) {
    await Promise.all(items.slice(start, start + size).map(fn));
  }
}

describe('problem details (docs/conventions.md#errors)', () => {
  it('answers malformed JSON with 400 malformed_json', async () => {
    const response = await app.request(`/auth/users/${sub}`, {
      method: 'PUT',
      token,
      headers: { 'content-type': 'application/json' },
      body: '{"email": "a@example.com",',
    });
    await expectProblem(response, 400, 'malformed_json');
  });

  it('answers a schema failure with 422 validation_failed and the path of each bad field', async () => {
    const response = await app.request(`/auth/users/${sub}`, {
      method: 'PUT',
      token,
      json: { ...profile, email: 'not-an-email', timezone: 'Nowhere/Special' },
    });
    const body = await expectProblem(response, 422, 'validation_failed');
    expect(body.errors).toEqual(
      expect.arrayContaining([
        { path: 'body.email', message: expect.any(String) },
        { path: 'body.timezone', message: expect.any(String) },
      ]),
    );
  });

  it('answers a JSON body that is not an object with 422, not 500', async () => {
    for (const body of ['null', '[]', '"text"', '42', 'true']) {
      const response = await app.request(`/auth/users/${sub}`, {
        method: 'PUT',
        token,
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect([body, [400, 422].includes(response.status)]).toEqual([body, true]);
    }
  });

  it('answers an unknown route with 404 not_found', async () => {
    await expectProblem(await app.request('/no/such/route'), 404, 'not_found');
    await expectProblem(await app.request(`/auth/users/${sub}/no-such-thing`, { token }), 404, 'not_found');
  });

  it('answers a wrong method with 405 and the methods allowed', async () => {
    const health = await app.request('/health', { method: 'DELETE' });
    await expectProblem(health, 405, 'method_not_allowed');
    const post = await app.request(`/auth/users/${sub}`, { method: 'POST', token, json: profile });
    await expectProblem(post, 405, 'method_not_allowed');
    // RFC 9110 §15.5.6: a 405 response MUST carry Allow.
    expect(health.headers.get('allow')?.split(/,\s*/)).toContain('GET');
    expect(post.headers.get('allow')?.split(/,\s*/)).toEqual(
      expect.arrayContaining(['GET', 'PUT', 'DELETE']),
    );
  });

  it('answers a body over 1 MB with 413 payload_too_large', async () => {
    const big = JSON.stringify({ ...profile, first_name: 'x'.repeat(1024 * 1024 + 10) });
    const response = await app.request(`/auth/users/${sub}`, {
      method: 'PUT',
      token,
      headers: { 'content-type': 'application/json' },
      body: big,
    });
    await expectProblem(response, 413, 'payload_too_large');
  });

  it('answers a chunked body over 1 MB (no content-length) with 413 too', async () => {
    const response = await raw(`/auth/users/${sub}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...profile, first_name: 'y'.repeat(1024 * 1024 + 10) }),
      chunked: true,
    });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toMatchObject({ code: 'payload_too_large' });
  });

  it.each([
    [
      'both content-length and transfer-encoding',
      'PUT /health HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
      400,
      'malformed_request',
    ],
    ['a request line that is not HTTP', 'HELLO THERE\r\n\r\n', 400, 'malformed_request'],
    [
      'a bare LF inside a header',
      'GET /health HTTP/1.1\r\nhost: x\nx-a: b\r\n\r\n',
      400,
      'malformed_request',
    ],
    [
      'headers over 16 KiB',
      `GET /health HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(17 * 1024)}\r\n\r\n`,
      431,
      'headers_too_large',
    ],
  ])(
    'answers a request the HTTP parser refuses (%s) with a problem document too',
    async (_name, bytes, status, code) => {
      const response = parseRawResponse(await rawExchange(app, bytes));
      expect(response.status).toBe(status);
      expect(problemDefect(response)).toBeUndefined();
      expect(JSON.parse(response.body)).toMatchObject({ code });
      expect(response.headers.connection).toBe('close');
    },
  );

  it('answers a malformed request pipelined behind another after that one’s whole answer', async () => {
    const text = await rawExchange(app, 'GET /health HTTP/1.1\r\nhost: x\r\n\r\nHELLO THERE\r\n\r\n');
    const first = parseRawResponse(text);
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body)).toMatchObject({ status: 'ok' });
    // The refusal follows the whole first answer, never bytes inside it.
    const second = parseRawResponse(text.slice(text.indexOf(first.body) + first.body.length));
    expect(second.status).toBe(400);
    expect(problemDefect(second)).toBeUndefined();
  });

  it.each([
    ['text/plain', 'text/plain', JSON.stringify(profile)],
    ['a form', 'application/x-www-form-urlencoded', 'email=someone%40example.com&timezone=UTC'],
    [
      'multipart',
      'multipart/form-data; boundary=x',
      '--x\r\ncontent-disposition: form-data; name="a"\r\n\r\nb\r\n--x--',
    ],
    ['XML', 'application/xml', '<profile/>'],
  ])('answers %s with 415 unsupported_media_type', async (_case, contentType, body) => {
    const response = await app.request(`/auth/users/${sub}`, {
      method: 'PUT',
      token,
      headers: { 'content-type': contentType },
      body,
    });
    await expectProblem(response, 415, 'unsupported_media_type');
  });

  it('reads a +json body as JSON, as it lets it through: the same answers as application/json', async () => {
    const put = (json: unknown) =>
      app.request(`/auth/users/${sub}`, {
        method: 'PUT',
        token,
        headers: { 'content-type': 'application/merge-patch+json' },
        body: JSON.stringify(json),
      });
    expect((await put(profile)).status).toBe(200);
    await expectProblem(await put({ ...profile, email: 'not an email' }), 422, 'validation_failed');
    // A large one is read too: refused for what it holds, not answered as if absent.
    const padded = await put({ ...profile, pad: 'x'.repeat(800_000) });
    const problem = await expectProblem(padded, 422, 'validation_failed');
    expect(problem.errors).toEqual([{ path: 'body', message: 'Unrecognized key: "pad"' }]);
  });

  it('answers a body without any content-type with 415', async () => {
    const response = await app.request(`/auth/users/${sub}`, {
      method: 'PUT',
      token,
      body: new TextEncoder().encode(JSON.stringify(profile)),
    });
    expect(response.headers.get('x-request-id')).toBeTruthy();
    await expectProblem(response, 415, 'unsupported_media_type');
  });

  it('answers a body that does not decompress with 4xx, not 500', async () => {
    const response = await raw(`/auth/users/${sub}`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      },
      body: 'this is not gzip',
    });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ status: 400 });
  });

  it('answers an unknown content-encoding with 415', async () => {
    const response = await raw(`/auth/users/${sub}`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'content-encoding': 'x-made-up',
      },
      body: JSON.stringify(profile),
    });
    expect(response.status).toBe(415);
    expect(JSON.parse(response.body)).toMatchObject({ code: 'unsupported_media_type' });
  });

  it('answers a unique violation with 409: two profiles with one email', async () => {
    const email = `shared-${randomUUID()}@example.com`;
    const first = randomUUID();
    const second = randomUUID();
    const put = async (who: string, address: string) =>
      app.request(`/auth/users/${who}`, {
        method: 'PUT',
        token: await tokenFor(who),
        json: { ...profile, email: address },
      });
    expect((await put(first, email)).status).toBe(201);
    const body = await expectProblem(await put(second, email.toUpperCase()), 409, 'email_taken');
    expect(JSON.stringify(body)).not.toContain(email);
    expect(await app.deps.knex('users').where({ cognito_sub: second }).first()).toBeUndefined();
  });

  it('answers any unique violation a handler does not catch with 409 conflict, no SQL in it', async () => {
    const response = await app.request('/test/duplicate-user', {
      method: 'POST',
      json: { cognito_sub: sub },
    });
    const body = await expectProblem(response, 409, 'conflict');
    expect(JSON.stringify(body)).not.toMatch(/insert|users_|duplicate key|cognito_sub/i);
  });

  it('answers an unexpected error with an opaque 500: no message, no stack, no SQL', async () => {
    const before = boomRuns;
    const response = await app.request('/test/boom');
    const text = await response.clone().text();
    const body = await expectProblem(response, 500, 'internal_error');
    expect(boomRuns).toBe(before + 1);
    expect(text).not.toContain(LEAKY_MESSAGE);
    expect(text.toLowerCase()).not.toContain('select');
    expect(text).not.toContain('victim@example.com');
    expect(text).not.toMatch(/\bat \S+ \(|\.ts:\d+|\.js:\d+/);
    expect(Object.keys(body).sort()).toEqual(['code', 'detail', 'request_id', 'status', 'title', 'type']);
    // …and the error is logged, once, with its stack, for whoever has to fix it.
    const logged = app.logs
      .entries()
      .filter((entry) => entry.request_id === body.request_id && entry.msg === 'unhandled error');
    expect(logged).toHaveLength(1);
    expect(JSON.stringify(logged[0])).toContain('test/integration/http/errors.test.ts');
  });

  it('answers a query Postgres rejects with an opaque 500 naming neither table nor column', async () => {
    const response = await app.request('/test/bad-sql');
    const text = await response.clone().text();
    await expectProblem(response, 500, 'internal_error');
    expect(text).not.toMatch(/no_such_table_xyz|secret_column|select|relation|42P01/i);
  });
});

describe('hostile paths and queries never produce a 5xx (docs/conventions.md#errors)', () => {
  // Raw path segments, sent exactly as written.
  const HOSTILE_SEGMENTS = [
    '..',
    '.',
    '%2E%2E',
    '..%2F..%2Fetc%2Fpasswd',
    '%2F',
    '%2Fetc%2Fpasswd',
    '%00',
    'a%00b',
    '%E0%A4%A',
    '%C0%AE%C0%AE',
    '%',
    '%25',
    '%ZZ',
    '%27%20OR%201%3D1--',
    '%22%3B%20drop%20table%20users%3B--',
    '%F0%9F%98%80',
    '%EF%BF%BF',
    '%20',
    '-1',
    '0',
    '99999999999999999999999999',
    '1e3',
    'null',
    '00000000-0000-0000-0000-000000000000',
    'a'.repeat(5000),
    '%41'.repeat(2000),
  ];

  const safeDecode = (segment: string) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      return segment;
    }
  };

  interface Call {
    method: string;
    path: string;
    headers: Record<string, string>;
  }

  /** Each route with path parameters, called with each hostile value in each parameter. */
  async function hostileCalls(): Promise<Call[]> {
    const calls: Call[] = [];
    for (const route of allRoutes) {
      const names = [...route.path.matchAll(/:(\w+)/g)].map((match) => match[1]!);
      if (names.length === 0) continue;
      for (const target of names) {
        for (const segment of HOSTILE_SEGMENTS) {
          const path = route.path.replace(/:(\w+)/g, (_m, name: string) => {
            if (name === target) return segment;
            return name === 'cognito_sub' ? sub : randomUUID();
          });
          const headers: Record<string, string> = {};
          if (route.path.startsWith('/auth/')) {
            // Our own sub, or the hostile one with a token for exactly that sub: the
            // request gets past the ownership check and reaches validation and the handler.
            const who = target === 'cognito_sub' ? safeDecode(segment) : sub;
            headers.authorization = `Bearer ${await tokenFor(who)}`;
          }
          if (route.path.startsWith('/internal/')) headers['x-api-key'] = TEST_INTERNAL_KEYS[0];
          calls.push({ method: route.method.toUpperCase(), path, headers });
        }
      }
    }
    return calls;
  }

  it('in every path parameter of every route', async () => {
    const calls = await hostileCalls();
    expect(calls.length).toBeGreaterThan(HOSTILE_SEGMENTS.length * 5);
    const failures: string[] = [];
    await inBatches(calls, 8, async (call) => {
      const withBody = ['PUT', 'POST', 'PATCH'].includes(call.method);
      const response = await raw(call.path, {
        method: call.method,
        headers: { ...call.headers, ...(withBody ? { 'content-type': 'application/json' } : {}) },
        ...(withBody ? { body: '{}' } : {}),
      });
      // 401/403 would mean the call never got past authentication, proving nothing; every
      // 4xx is a problem document.
      const problem = response.status >= 400 && (JSON.parse(response.body) as { code?: unknown }).code;
      if (
        response.status >= 500 ||
        response.status === 401 ||
        response.status === 403 ||
        problem === undefined
      )
        failures.push(`${call.method} ${call.path.slice(0, 120)} → ${response.status}`);
    });
    expect(failures).toEqual([]);
    expect(await app.deps.knex('users').where({ cognito_sub: sub }).first()).toBeDefined();
  }, 60_000);

  it('in hostile query strings of every GET route', async () => {
    const queries = [
      'limit=-1&cursor=%00',
      'limit=abc&cursor=not-a-cursor',
      'limit=1e999&cursor=%E0%A4%A',
      'cursor=eyJ9&limit=100000000000000000000',
      'from=%00&to=2026-13-45',
      'from=9999-12-31&to=0000-01-01',
      'email=%00&email=a@example.com',
      'email=a%40example.com%00',
      `email=${'a'.repeat(300)}@example.com`,
      'status=%00&view=%27&aligner_number=NaN',
      'q=%25%25%25&q[]=x&q[a]=b',
      '%=%&&=&==',
    ];
    const failures: string[] = [];
    const calls = allRoutes
      .filter((candidate) => candidate.method === 'get')
      .flatMap((route) => {
        const base = route.path.replace(/:(\w+)/g, (_m, name: string) =>
          name === 'cognito_sub' ? sub : randomUUID(),
        );
        const headers: Record<string, string> = route.path.startsWith('/auth/')
          ? { authorization: `Bearer ${token}` }
          : route.path.startsWith('/internal/')
            ? { 'x-api-key': TEST_INTERNAL_KEYS[0] }
            : {};
        return queries.map((query) => ({ path: `${base}?${query}`, headers }));
      });
    await inBatches(calls, 8, async ({ path, headers }) => {
      const response = await raw(path, { headers });
      if (response.status >= 500) failures.push(`GET ${path} → ${response.status}`);
    });
    expect(failures).toEqual([]);
  }, 60_000);

  it('does not let `..` cross from one prefix into another', async () => {
    const intoInternal = await raw(`/auth/users/${sub}/../../internal/users?email=x@example.com`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(intoInternal.status).toBe(404);
    const intoAuth = await raw(`/internal/../auth/users/${sub}`, {
      headers: { 'x-api-key': TEST_INTERNAL_KEYS[0] },
    });
    expect(intoAuth.status).toBe(404);
    const encoded = await raw(`/health/..%2F..%2Finternal%2Fusers%3Femail%3Dx%40example.com`);
    expect(encoded.status).toBe(404);
  });
});

describe('with Postgres unreachable', () => {
  let down: TestApp;
  beforeAll(async () => {
    down = await startTestApp({ env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nope' } });
  });
  afterAll(() => down.close());

  it('answers 503 service_unavailable with retry-after, never 500', async () => {
    const owner = randomUUID();
    const ownerToken = await tokenFor(owner);
    const responses = [
      await down.request(`/auth/users/${owner}`, { token: ownerToken }),
      await down.request(`/auth/users/${owner}`, { method: 'PUT', token: ownerToken, json: profile }),
      await down.request('/internal/users?email=a@example.com', {
        headers: { 'x-api-key': TEST_INTERNAL_KEYS[1] },
      }),
    ];
    for (const response of responses) {
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      const body = (await response.json()) as Record<string, unknown>;
      expect({ status: response.status, code: body.code }).toEqual({
        status: 503,
        code: 'service_unavailable',
      });
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|nope/);
    }
    const statuses = down.logs
      .entries()
      .filter((entry) => typeof entry.status === 'number')
      .map((entry) => entry.status);
    expect(statuses).not.toContain(500);
    // Requests that do not need the database are unaffected.
    expect((await down.request('/health')).status).toBe(200);
  });
});

// Issue 15: the OpenAPI document says everything the server does. Every route of the
// table is sent the requests its chain (server.ts) refuses — no or another user's
// credentials, bad bodies of every kind, invalid input, a bad Idempotency-Key — and a
// valid one, on a working database and on an unreachable one. Every answer must be a
// status its operation lists, in a media type listed for it, problem documents as the
// documented Problem schema. A route added later is driven without anyone listing it.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JSON_BODY_LIMIT, JSON_MAX_DEPTH } from '../../../src/api/middleware/body.js';
import type { OpenApiDocument } from '../../../src/api/openapi/document.js';
import { problemSchema } from '../../../src/api/openapi/problem.js';
import type { AnyRoute } from '../../../src/api/route.js';
import { DOCS_TAG } from '../../../src/api/routes/docs.js';
import { routes } from '../../../src/api/routes/index.js';
import type { User } from '../../../src/users/model.js';
import { startTestApp, tokenFor, type TestApp } from '../../support/app.js';
import { resolvedOperation } from '../../support/openapi.js';
import { closeAgent, rawRequest, type RawRequest, type RawResponse } from '../../support/raw-http.js';
import { exampleBody, exampleQuery } from '../../support/reliability/examples.js';
import { authHeaders, bytesOf, fillPath, paramNames, validPath } from '../../support/reliability/requests.js';
import { seedWorld, type World } from '../../support/reliability/world.js';

const documented = routes.filter((route) => route.tag !== DOCS_TAG);
const label = (route: AnyRoute) => `${route.method.toUpperCase()} ${route.path}`;

interface Provocation {
  name: string;
  /** Path, query and body as sent; the caller's sub (for the token), when not the world's. */
  path: string;
  body?: string;
  headers?: Record<string, string>;
  sub?: string;
  /** Send no credentials at all. */
  anonymous?: boolean;
}

/** The requests a route's chain answers without its handler having a say, and a valid one. */
function provocations(route: AnyRoute, world: World): Provocation[] {
  const query = exampleQuery(route, world);
  const path = `${validPath(route, world)}${query ? `?${query}` : ''}`;
  const body = exampleBody(route, world);
  const valid = body === undefined ? undefined : JSON.stringify(body);
  const json = { 'content-type': 'application/json' };
  const list: Provocation[] = [
    { name: 'valid', path, body: valid, headers: valid === undefined ? {} : json },
    { name: 'malformed JSON', path, body: '{"unfinished":', headers: json },
    { name: 'not JSON', path, body: 'hello', headers: { 'content-type': 'text/plain' } },
    {
      name: 'form-encoded',
      path,
      body: 'a=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    },
    { name: 'too large', path, body: `"${'x'.repeat(bytesOf(JSON_BODY_LIMIT))}"`, headers: json },
    {
      name: 'too deep',
      path,
      body: `${'['.repeat(JSON_MAX_DEPTH + 1)}${']'.repeat(JSON_MAX_DEPTH + 1)}`,
      headers: json,
    },
    { name: 'bad encoding', path, body: '{}', headers: { ...json, 'content-encoding': 'gzip' } },
    { name: 'wrong shape', path, body: '[{"unexpected":true}]', headers: json },
    {
      // Every path parameter a word, every query parameter twice (an array): invalid where anything is checked.
      name: 'invalid input',
      path: `${fillPath(route, Object.fromEntries(paramNames(route).map((name) => [name, 'x'])))}?${
        query ? `${query}&${query}` : 'limit=x'
      }`,
      sub: 'x',
    },
  ];
  if (route.auth !== 'none')
    list.push({ name: 'no credentials', path, body: valid, headers: json, anonymous: true });
  if (route.path.includes(':cognito_sub'))
    list.push({ name: 'another user', path, body: valid, headers: json, sub: randomUUID() });
  if (route.idempotent)
    list.push(
      { name: 'bad Idempotency-Key', path, body: valid, headers: { ...json, 'idempotency-key': 'clé' } },
      { name: 'Idempotency-Key', path, body: valid, headers: { ...json, 'idempotency-key': randomUUID() } },
    );
  return list;
}

async function send(
  app: TestApp,
  route: AnyRoute,
  world: World,
  provocation: Provocation,
): Promise<RawResponse> {
  const method = route.method.toUpperCase();
  const request: RawRequest = { method, path: provocation.path, headers: { ...provocation.headers } };
  if (provocation.body !== undefined) request.body = provocation.body;
  if (!provocation.anonymous)
    Object.assign(
      request.headers!,
      await authHeaders(app, route, {
        method,
        path: provocation.path,
        body: provocation.body,
        sub: provocation.sub ?? world.user.cognito_sub,
      }),
    );
  return rawRequest(app, request);
}

/** Why `response` is not what the operation documents for it, or undefined when it is. */
function undocumented(
  operation: ReturnType<typeof resolvedOperation>,
  route: AnyRoute,
  response: RawResponse,
): string | undefined {
  if (!operation) return 'no operation';
  const documentedResponse = operation.responses[String(response.status)];
  if (!documentedResponse) return `${response.status} is not listed (${response.body.slice(0, 120)})`;
  const type = String(response.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim();
  const content = documentedResponse.content ?? {};
  if (response.body === '' && Object.keys(content).length === 0) return undefined;
  if (!(type in content))
    return `${response.status} answered ${type}; listed: ${Object.keys(content).join(', ')}`;
  if (type === 'application/problem+json') {
    const parsed = problemSchema.strict().safeParse(JSON.parse(response.body));
    if (!parsed.success)
      return `${response.status} problem document not as documented: ${parsed.error.message}`;
  }
  const schema = route.responses[response.status]?.schema;
  if (schema && type === 'application/json') {
    const parsed = schema.safeParse(JSON.parse(response.body));
    if (!parsed.success) return `${response.status} body not as documented: ${parsed.error.message}`;
  }
  return undefined;
}

/** Sends every provocation to every route; returns what the document fails to say. */
async function drive(
  app: TestApp,
  document: OpenApiDocument,
  worldFor: (route: AnyRoute) => Promise<World>,
): Promise<{ failures: string[]; seen: Map<string, Map<string, number>> }> {
  const failures: string[] = [];
  const seen = new Map<string, Map<string, number>>();
  for (const route of documented) {
    const world = await worldFor(route);
    const operation = resolvedOperation(document, route);
    const statuses = new Map<string, number>();
    for (const provocation of provocations(route, world)) {
      const response = await send(app, route, world, provocation);
      statuses.set(provocation.name, response.status);
      const problem = undocumented(operation, route, response);
      if (problem) failures.push(`${label(route)} (${provocation.name}): ${problem}`);
    }
    seen.set(label(route), statuses);
  }
  return { failures, seen };
}

async function fetchDocument(app: TestApp): Promise<OpenApiDocument> {
  return (await (await app.request('/openapi.json')).json()) as OpenApiDocument;
}

afterAll(() => closeAgent());

describe('the OpenAPI document lists every status each route sends', () => {
  let app: TestApp;
  let document: OpenApiDocument;
  beforeAll(async () => {
    app = await startTestApp();
    document = await fetchDocument(app);
  });
  afterAll(() => app.close());

  it('with Postgres up: every answer to every provocation is documented', async () => {
    // A world per route: a valid DELETE of the profile erases its user.
    const { failures, seen } = await drive(app, document, () => seedWorld(app));
    expect(failures).toEqual([]);
    // The provocations reach what they aim at: a valid request gets past the chain (its
    // handler may still refuse it: a generated aligner number past the last one, say);
    // bad bodies are 400, 413 and 415 everywhere; 401 and 403 where the route is guarded.
    for (const route of documented) {
      const statuses = seen.get(label(route))!;
      const answered = new Set(statuses.values());
      const expected = [400, 413, 415, ...(route.auth === 'none' ? [] : [401])];
      if (route.path.includes(':cognito_sub')) expected.push(403);
      expect({
        route: label(route),
        valid: ![400, 401, 403, 413, 415].includes(statuses.get('valid')!),
        missing: expected.filter((status) => !answered.has(status)),
      }).toEqual({ route: label(route), valid: true, missing: [] });
    }
  }, 60_000);
});

describe('with Postgres unreachable', () => {
  let down: TestApp;
  let document: OpenApiDocument;
  beforeAll(async () => {
    down = await startTestApp({ env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nope' } });
    document = await fetchDocument(down);
  });
  afterAll(() => down.close());

  it('every answer is documented, and a valid request to a route using it is 503', async () => {
    // Nothing can be seeded: a world of made-up names, which validate all the same.
    const offline = async (): Promise<World> => {
      const sub = randomUUID();
      return {
        user: { cognito_sub: sub, email: 'nobody@example.com' } as User,
        token: await tokenFor(sub),
        base: `/auth/users/${sub}`,
        ids: {},
        dentistIds: [1],
      };
    };
    const { failures, seen } = await drive(down, document, offline);
    expect(failures).toEqual([]);
    for (const route of documented.filter((route) => route.usesDatabase !== false))
      expect({ route: label(route), valid: seen.get(label(route))!.get('valid') }).toEqual({
        route: label(route),
        valid: 503,
      });
  }, 60_000);
});

// Issue 9: every route refuses every caller it should (docs/auth.md), and a refusal changes
// nothing. The matrix is generated from the route table: a route added later is checked
// by its declared scheme, and one declared without authentication fails here unless it
// is on the allowlist of public routes below.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { defineRoute, type AnyRoute } from '../../src/api/route.js';
import { cognitoSubParams } from '../../src/users/schema.js';
import { routes } from '../../src/api/routes/index.js';
import { notFound } from '../../src/shared/errors.js';
import { startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { TEST_HUBSPOT_SECRET, TEST_INTERNAL_KEYS } from '../support/config.js';
import { hubspotEvent } from '../support/hubspot.js';
import { signHubSpotRequest } from '../support/hubspot-signer.js';
import { exampleBody } from '../support/reliability/examples.js';
import { closeAgent, problemCode, problemDefect, rawRequest } from '../support/raw-http.js';
import {
  authHeaders,
  fillPath,
  paramNames,
  validPath,
  validSegments,
} from '../support/reliability/requests.js';
import { changedTables, databaseSnapshotter, type Snapshot } from '../support/reliability/snapshot.js';
import { collectionOf, objectFactories, seedWorld, type World } from '../support/reliability/world.js';

/**
 * The only routes anyone may call without credentials (the table of docs/auth.md#callers: they expose
 * nothing private). A route declared with `auth: 'none'` and not listed here fails.
 */
const PUBLIC_ROUTES = new Set([
  'GET /health',
  'GET /ready',
  'GET /metrics',
  'GET /openapi.json',
  'GET /docs',
  'GET /docs/assets/:name',
]);

const nameOf = (route: AnyRoute) => `${route.method.toUpperCase()} ${route.path}`;

/**
 * Routes that get authentication wrong, served by the same app, to show that the audit
 * reports each mistake (and so would report it in a real route).
 */
const FLAWED_ROUTES = {
  forgotAuth: defineRoute({
    method: 'get',
    path: '/reports/patients',
    summary: 'Declared without authentication, and not a public route',
    tag: 'test',
    auth: 'none',
    responses: { 200: { description: 'Everyone' } },
    handler: async (ctx) => {
      ctx.body = { items: [] };
    },
  }),
  jwtOutsideAuthPrefix: defineRoute({
    method: 'get',
    path: '/public/patients',
    summary: "Declared 'jwt', but outside /auth where the JWT middleware runs",
    tag: 'test',
    auth: 'jwt',
    responses: { 200: { description: 'Anyone' } },
    handler: async (ctx) => {
      ctx.body = { items: [] };
    },
  }),
  unscopedObject: defineRoute({
    method: 'get',
    path: '/auth/users/:cognito_sub/images/:id/unscoped',
    summary: 'Looks the image up by id alone, not within the user',
    tag: 'test',
    auth: 'jwt',
    params: cognitoSubParams.extend({ id: z.uuid() }),
    responses: { 200: { description: 'Any image' } },
    handler: async (ctx, { params }, deps) => {
      const image = (await deps.knex('images').where({ id: params.id }).first('id')) as
        { id: string } | undefined;
      if (!image) throw notFound();
      ctx.body = image;
    },
  }),
};

let app: TestApp;
let snapshot: () => Promise<Snapshot>;

beforeAll(async () => {
  app = await startTestApp({ routes: [...routes, ...Object.values(FLAWED_ROUTES)] });
  snapshot = await databaseSnapshotter(app.deps.knex);
});
afterAll(async () => {
  closeAgent();
  await app.close();
});

interface Attempt {
  /** What is wrong with the request. */
  case: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** The status (and problem code) docs/auth.md requires. */
  status: number;
  code: string;
}

/** A body no route accepts: whoever is refused must learn nothing of it (401/403 before 400). */
const UNREADABLE = { case: 'and a body that is not JSON', body: '{"not json' };

/** A token for `sub` with its payload segment replaced: a JWT in shape only. */
async function tokenWithPayload(sub: string, payload: string): Promise<string> {
  const [header, , signature] = (await tokenFor(sub)).split('.');
  return `${header}.${Buffer.from(payload).toString('base64url')}.${signature}`;
}

const jose = (payload: Record<string, unknown>) =>
  new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode('any'));

/** Credentials that must not get anyone in, for each way a bearer token can be wrong. */
async function badBearers(sub: string): Promise<Array<[string, Record<string, string>]>> {
  const now = Math.floor(Date.now() / 1000);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  return [
    ['no token', {}],
    ['a non-bearer scheme', { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` }],
    ['an empty bearer', { authorization: 'Bearer ' }],
    ['a bearer that is not a JWT', bearer('not-a-jwt')],
    ['a JWT whose payload is not JSON', bearer(await tokenWithPayload(sub, 'not json'))],
    ['a JWT whose payload is not an object', bearer(await tokenWithPayload(sub, '"a string"'))],
    ['a JWT without sub', bearer(await jose({ exp: now + 600 }))],
    ['a JWT with an empty sub', bearer(await jose({ sub: '', exp: now + 600 }))],
    ['a JWT whose sub is not a string', bearer(await jose({ sub: 12345, exp: now + 600 }))],
    ['an expired JWT', bearer(await tokenFor(sub, { expiresInSeconds: -60 }))],
    ['a JWT whose exp is not a number', bearer(await jose({ sub, exp: 'tomorrow' }))],
  ];
}

/**
 * Every refusal `route` owes, per its declared scheme (docs/auth.md), as requests that are
 * otherwise valid (owner's path, a body the schema accepts) so that only the credential
 * or the object differs from a request that succeeds.
 */
async function attemptsFor(route: AnyRoute, owner: World, other: World): Promise<Attempt[] | string> {
  const path = validPath(route, owner);
  const example = exampleBody(route, owner);
  const body = example === undefined ? undefined : JSON.stringify(example);
  const attempts: Attempt[] = [];
  const method = route.method.toUpperCase();
  switch (route.auth) {
    case 'jwt': {
      for (const [name, headers] of await badBearers(owner.user.cognito_sub))
        attempts.push({ case: name, path, headers, body, status: 401, code: 'unauthorized' });
      attempts.push({
        ...UNREADABLE,
        path,
        headers: {},
        case: `no token, ${UNREADABLE.case}`,
        status: 401,
        code: 'unauthorized',
      });
      if (paramNames(route).includes('cognito_sub')) {
        const bearer = async (sub: string) => ({ authorization: `Bearer ${await tokenFor(sub)}` });
        attempts.push({
          case: "another user's token (path sub ≠ token sub)",
          path,
          headers: await bearer(other.user.cognito_sub),
          body,
          status: 403,
          code: 'forbidden',
        });
        attempts.push({
          case: 'a token for a sub that does not exist',
          path,
          headers: await bearer(randomUUID()),
          body,
          status: 403,
          code: 'forbidden',
        });
        // Ownership is checked before the body is read: the body's faults are not told to an intruder.
        attempts.push({
          ...UNREADABLE,
          case: `another user's token, ${UNREADABLE.case}`,
          path,
          headers: await bearer(other.user.cognito_sub),
          status: 403,
          code: 'forbidden',
        });
        // Each object under the user's path, named by an id of another user's object.
        for (const param of paramNames(route).filter((name) => name !== 'cognito_sub')) {
          const collection = collectionOf(route.path, param) ?? '';
          const factory = objectFactories[collection];
          if (!factory)
            return `:${param} names a "${collection}" object, which objectFactories (support/world.ts) cannot make`;
          const othersId = await factory(app.deps.knex, other.user);
          attempts.push({
            case: `another user's ${collection} id in :${param}, on the caller's own path`,
            path: fillPath(route, { ...validSegments(route, owner), [param]: othersId }),
            headers: await bearer(owner.user.cognito_sub),
            body,
            status: 404,
            code: 'not_found',
          });
        }
      }
      return attempts;
    }
    case 'api_key':
      for (const [name, headers] of [
        ['no key', {}],
        ['an empty key', { 'x-api-key': '' }],
        ['a wrong key', { 'x-api-key': 'not-the-key' }],
        ['a valid key with a character more', { 'x-api-key': `${TEST_INTERNAL_KEYS[0]}x` }],
        ['a valid key but one character', { 'x-api-key': TEST_INTERNAL_KEYS[0].slice(0, -1) }],
        ['a valid key in upper case', { 'x-api-key': TEST_INTERNAL_KEYS[0].toUpperCase() }],
        ['all the keys, comma-separated', { 'x-api-key': TEST_INTERNAL_KEYS.join(',') }],
        ['a valid key as a bearer token', { authorization: `Bearer ${TEST_INTERNAL_KEYS[0]}` }],
      ] as Array<[string, Record<string, string>]>)
        attempts.push({ case: name, path, headers, body, status: 401, code: 'unauthorized' });
      attempts.push({
        ...UNREADABLE,
        path,
        headers: {},
        case: `no key, ${UNREADABLE.case}`,
        status: 401,
        code: 'unauthorized',
      });
      return attempts;
    case 'hubspot_signature': {
      const batch = JSON.stringify([hubspotEvent()]);
      const uri = `${app.url}${path}`;
      const sign = (options: { secret?: string; body?: string; timestamp?: number; method?: string }) =>
        signHubSpotRequest({
          secret: options.secret ?? TEST_HUBSPOT_SECRET,
          method: options.method ?? method,
          uri,
          body: options.body ?? batch,
          ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
        });
      const minutes = 60_000;
      const cases: Array<[string, Record<string, string>]> = [
        ['no signature', {}],
        ['a timestamp but no signature', { 'x-hubspot-request-timestamp': String(Date.now()) }],
        ['a signature but no timestamp', { 'x-hubspot-signature-v3': sign({})['x-hubspot-signature-v3'] }],
        ['a signature made with another secret', sign({ secret: 'not-the-secret' })],
        ['the signature of another body', sign({ body: '[]' })],
        ['the signature of another method', sign({ method: 'PUT' })],
        [
          'a stale timestamp (6 minutes ago), correctly signed',
          sign({ timestamp: Date.now() - 6 * minutes }),
        ],
        ['a timestamp 6 minutes ahead, correctly signed', sign({ timestamp: Date.now() + 6 * minutes })],
        ['a signature that is not base64', { ...sign({}), 'x-hubspot-signature-v3': '!!not base64!!' }],
        ['a timestamp that is not a number', { ...sign({}), 'x-hubspot-request-timestamp': 'yesterday' }],
      ];
      for (const [name, headers] of cases)
        attempts.push({ case: name, path, headers, body: batch, status: 401, code: 'unauthorized' });
      attempts.push({
        ...UNREADABLE,
        path,
        headers: {},
        case: `no signature, ${UNREADABLE.case}`,
        status: 401,
        code: 'unauthorized',
      });
      return attempts;
    }
    case 'none':
      return PUBLIC_ROUTES.has(nameOf(route))
        ? []
        : `auth 'none', but not on the allowlist of public routes (PUBLIC_ROUTES in this file)`;
    default:
      return `an authentication scheme this test does not know: ${String(route.auth)}`;
  }
}

/**
 * What is wrong with `route`'s authentication, as a list of findings (empty: nothing).
 * Each refusal must have the status and code docs/auth.md gives, be a problem document, and
 * leave every table as it was; and the caller that should get in, does (else the
 * refusals would prove nothing).
 */
async function audit(route: AnyRoute): Promise<string[]> {
  const owner = await seedWorld(app);
  const other = await seedWorld(app);
  const attempts = await attemptsFor(route, owner, other);
  if (typeof attempts === 'string') return [`${nameOf(route)}: ${attempts}`];
  const findings: string[] = [];
  const method = route.method.toUpperCase();
  for (const attempt of attempts) {
    const before = await snapshot();
    const response = await rawRequest(app, {
      method,
      path: attempt.path,
      headers: {
        ...attempt.headers,
        ...(attempt.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(attempt.body === undefined ? {} : { body: attempt.body }),
    });
    const where = `${nameOf(route)} with ${attempt.case}`;
    const code = problemCode(response);
    if (response.status !== attempt.status || code !== attempt.code)
      findings.push(
        `${where}: answered ${response.status} ${code ?? ''}, not ${attempt.status} ${attempt.code}`,
      );
    else if (problemDefect(response))
      findings.push(`${where}: not a problem document (${problemDefect(response)})`);
    const changed = changedTables(before, await snapshot());
    if (changed.length > 0) findings.push(`${where}: changed ${changed.join(', ')}`);
  }

  // The control: the owner, with valid credentials, gets past authentication (and finds
  // their own objects), so the refusals above are the credentials' doing.
  const path = validPath(route, owner);
  const example = exampleBody(route, owner);
  const body = example === undefined ? undefined : JSON.stringify(example);
  const response = await rawRequest(app, {
    method,
    path,
    headers: {
      ...(await authHeaders(app, route, { method, path, body, sub: owner.user.cognito_sub })),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body }),
  });
  const refusedOwner =
    [401, 403].includes(response.status) || (response.status === 404 && paramNames(route).length > 1);
  if (refusedOwner || response.status >= 500)
    findings.push(
      `${nameOf(route)}: the owner, with valid credentials, got ${response.status} ${response.body.slice(0, 200)}`,
    );
  return findings;
}

describe('authentication and authorization of every route (docs/auth.md)', () => {
  it('every public route on the allowlist exists and is declared without authentication', () => {
    const declared = new Map(routes.map((route) => [nameOf(route), route.auth]));
    for (const name of PUBLIC_ROUTES)
      expect({ name, auth: declared.get(name) }).toEqual({ name, auth: 'none' });
  });

  it('every route under /auth, /internal and /public declares the scheme its prefix requires', () => {
    const schemeOf = (path: string) =>
      path.startsWith('/auth/')
        ? 'jwt'
        : path.startsWith('/internal/')
          ? 'api_key'
          : path.startsWith('/public/hubspot/')
            ? 'hubspot_signature'
            : 'none';
    for (const route of routes)
      expect({ route: nameOf(route), auth: route.auth }).toEqual({
        route: nameOf(route),
        auth: schemeOf(route.path),
      });
  });

  it.each(routes.map((route) => [nameOf(route), route] as const))(
    '%s: refuses whom it must, with the status docs/auth.md gives, changing nothing',
    async (_name, route) => {
      expect(await audit(route)).toEqual([]);
    },
  );
});

describe('the audit reports a route that gets authentication wrong', () => {
  it('one without authentication that is not on the allowlist', async () => {
    expect(await audit(FLAWED_ROUTES.forgotAuth)).toEqual([
      "GET /reports/patients: auth 'none', but not on the allowlist of public routes (PUBLIC_ROUTES in this file)",
    ]);
  });

  it("one declared 'jwt' that no middleware checks", async () => {
    const findings = await audit(FLAWED_ROUTES.jwtOutsideAuthPrefix);
    expect(findings).toEqual(
      expect.arrayContaining([
        'GET /public/patients with no token: answered 200 , not 401 unauthorized',
        'GET /public/patients with an expired JWT: answered 200 , not 401 unauthorized',
      ]),
    );
  });

  it("one that serves another user's object", async () => {
    expect(await audit(FLAWED_ROUTES.unscopedObject)).toEqual([
      "GET /auth/users/:cognito_sub/images/:id/unscoped with another user's images id in :id, on the caller's own path: answered 200 , not 404 not_found",
      // Served, so recorded as the caller's app contact: a refusal would have changed nothing.
      "GET /auth/users/:cognito_sub/images/:id/unscoped with another user's images id in :id, on the caller's own path: changed app_contact_days",
    ]);
  });
});

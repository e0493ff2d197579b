// Issue 9: no input reachable from outside produces a 5xx (docs/conventions.md#errors), every refusal is a
// problem document, and a refused request changes nothing. Property-based over the whole
// route table: a route added later is fuzzed without anyone listing it here.
//
// FUZZ_RUNS=<n> runs more cases per route; FUZZ_SEED=<seed> replays a failure (fast-check
// prints the seed and the failing request); FUZZ_VERBOSE=1 prints the statuses each route answered.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { JSON_BODY_LIMIT, JSON_MAX_DEPTH } from '../../src/api/middleware/body.js';
import type { OpenApiDocument } from '../../src/api/openapi/document.js';
import { openApiPath } from '../../src/api/openapi/paths.js';
import { DEFAULT_LIMIT, MAX_LIMIT } from '../../src/api/pagination.js';
import { AT_RISK_MAX_LIMIT } from '../../src/adherence/schema.js';
import type { AnyRoute } from '../../src/api/route.js';
import { routes } from '../../src/api/routes/index.js';
import { startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { createDentist, createTreatment, createUser } from '../support/factories.js';
import { hubspotEvent } from '../support/hubspot.js';
import {
  RAW_BODIES,
  SchemaArbitraries,
  encodeComponent,
  hostileSegment,
  hostileValue,
  jsonSchemaOf,
  queryString,
  safeDecode,
  toJson,
  withDeepExtra,
  type Hints,
} from '../support/reliability/arbitraries.js';
import { hintsFor } from '../support/reliability/examples.js';
import { closeAgent, problemCode, problemDefect, rawRequest, type RawResponse } from '../support/raw-http.js';
import {
  authHeaders,
  bytesOf,
  existingValues,
  fillPath,
  paramNames,
  validPath,
} from '../support/reliability/requests.js';
import { changedTables, databaseSnapshotter, type Snapshot } from '../support/reliability/snapshot.js';
import { createHubspotEvent, createImage, seedWorld, type World } from '../support/reliability/world.js';

// 36 routes × 40 cases ≈ 1 450 requests, each between two database fingerprints: about
// 20 s on an idle 2-core machine, well under a minute on a busy one.
const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS ?? 40);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

let app: TestApp;
let world: World;
let snapshot: () => Promise<Snapshot>;
let document: OpenApiDocument;

const hints: Hints = hintsFor(() => world);

beforeAll(async () => {
  app = await startTestApp();
  world = await seedWorld(app);
  snapshot = await databaseSnapshotter(app.deps.knex);
  document = (await (await app.request('/openapi.json')).json()) as OpenApiDocument;
});
afterAll(async () => {
  closeAgent();
  await app.close();
});

/** A successful DELETE of the profile erases the world's user: later cases get a new world. */
async function keepWorldAlive(): Promise<void> {
  const user = (await app.deps.knex('users').where({ id: world.user.id }).first('deleted_at')) as
    { deleted_at: Date | null } | undefined;
  if (!user || user.deleted_at) world = await seedWorld(app);
}

const BODY_METHODS = new Set(['post', 'put', 'patch']);

const truncate = (text: string, length = 160) =>
  text.length > length ? `${text.slice(0, length)}… (${text.length} chars)` : text;

interface FuzzCase {
  method: string;
  path: string;
  /** The subject of the bearer token: the path's (decoded) sub, so that the request gets past ownership. */
  sub: string;
  body: string | Buffer | undefined;
  headers: Record<string, string>;
  /** Sent with an Idempotency-Key, whose row may legitimately outlive a refusal. */
  keyed: boolean;
}

function describeCase(fuzz: FuzzCase): string {
  const body =
    fuzz.body === undefined
      ? ''
      : ` body=${truncate(JSON.stringify(Buffer.isBuffer(fuzz.body) ? [...fuzz.body] : fuzz.body))}`;
  return `${fuzz.method} ${truncate(fuzz.path, 300)} headers=${JSON.stringify(fuzz.headers)}${body}`;
}

/** Requests for one route: its own path, query and body schemas, at and beyond their bounds. */
function casesFor(route: AnyRoute): fc.Arbitrary<FuzzCase> {
  const names = paramNames(route);
  const paramsSchema = route.params ? jsonSchemaOf(route.params) : undefined;
  const paramArbs = paramsSchema ? new SchemaArbitraries(paramsSchema, hints) : undefined;
  const segment = (name: string): fc.Arbitrary<string> => {
    const property = paramsSchema?.properties?.[name];
    const fromSchema = property && paramArbs ? paramArbs.valid(property, name) : fc.uuid();
    return fc.oneof(
      {
        arbitrary: fc.nat().map((n) => {
          const known = existingValues(route, name, world) ?? ['00000000-0000-4000-8000-000000000000'];
          return known[n % known.length]!;
        }),
        weight: 6,
      },
      { arbitrary: fromSchema.map((value) => encodeComponent(String(value))), weight: 2 },
      { arbitrary: hostileSegment, weight: 3 },
    );
  };

  const querySchema = route.query ? jsonSchemaOf(route.query) : undefined;
  const query = queryString(querySchema ? new SchemaArbitraries(querySchema, hints) : undefined, querySchema);

  let body: fc.Arbitrary<string | Buffer | undefined>;
  if (route.body) {
    const bodyArbs = new SchemaArbitraries(jsonSchemaOf(route.body), hints);
    body = fc.oneof(
      { arbitrary: bodyArbs.document().map(toJson), weight: 8 },
      { arbitrary: fc.constantFrom(...RAW_BODIES), weight: 2 },
      {
        // A valid document carrying one key nested deeper than recursion goes.
        arbitrary: fc
          .tuple(bodyArbs.valid(jsonSchemaOf(route.body)).map(toJson), fc.constantFrom(5000, 200_000))
          .map(([json, depth]) => withDeepExtra(json, depth)),
        weight: 1,
      },
    );
  } else {
    body = fc.oneof(
      { arbitrary: fc.constant(undefined), weight: BODY_METHODS.has(route.method) ? 6 : 12 },
      { arbitrary: hostileValue.map(toJson), weight: 2 },
      { arbitrary: fc.constantFrom(...RAW_BODIES), weight: 1 },
    );
  }

  const contentType = fc.oneof(
    { arbitrary: fc.constant('application/json'), weight: 12 },
    fc.constantFrom(
      'application/json; charset=utf-8',
      'application/merge-patch+json',
      'application/json; charset=latin1',
      'application/json; charset=no-such-charset',
      'text/plain',
      'application/x-www-form-urlencoded',
      '',
    ),
  );
  const optionalHeader = (values: fc.Arbitrary<string>, weight: number) =>
    fc.oneof({ arbitrary: fc.constant(undefined), weight }, { arbitrary: values, weight: 1 });
  const idempotencyKey = route.idempotent
    ? optionalHeader(
        fc.oneof(fc.uuid(), fc.constantFrom('', ' ', 'k'.repeat(255), 'k'.repeat(256), 'clé', "' OR 1=1 --")),
        2,
      )
    : fc.constant(undefined);
  const requestId = optionalHeader(
    fc.constantFrom("' OR 1=1 --", 'x'.repeat(5000), '../../etc', 'é\u00ff'),
    6,
  );
  const contentEncoding = optionalHeader(
    fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-made-up'),
    15,
  );

  return fc
    .record({
      segments: fc.tuple(...names.map((name) => segment(name))),
      query,
      body,
      contentType,
      idempotencyKey,
      requestId,
      contentEncoding,
    })
    .map(({ segments, query: search, body: payload, contentType: type, ...headers }) => {
      const values = Object.fromEntries(names.map((name, index) => [name, segments[index]!]));
      const path = `${fillPath(route, values)}${search ? `?${search}` : ''}`;
      const sent: Record<string, string> = {};
      if (payload !== undefined && type) sent['content-type'] = type;
      if (headers.idempotencyKey !== undefined) sent['idempotency-key'] = headers.idempotencyKey;
      if (headers.requestId !== undefined) sent['x-request-id'] = headers.requestId;
      if (headers.contentEncoding !== undefined && payload !== undefined)
        sent['content-encoding'] = headers.contentEncoding;
      const fuzz: FuzzCase = {
        method: route.method.toUpperCase(),
        path,
        sub: values.cognito_sub === undefined ? world.user.cognito_sub : safeDecode(values.cognito_sub),
        body: payload,
        headers: sent,
        keyed: headers.idempotencyKey !== undefined,
      };
      return Object.assign(fuzz, { [fc.toStringMethod]: () => describeCase(fuzz) });
    });
}

/**
 * Whether the router's fallbacks answered: a hostile segment (empty, with a slash) made
 * the path another one (`405`, or `404` "No route for …"), so the answer is not the route's.
 */
function unrouted(response: RawResponse): boolean {
  return response.status === 405 || (response.status === 404 && response.body.includes('"No route for '));
}

/**
 * Sends one case and checks the three properties; returns the status, and whether the
 * route (not a fallback) answered. A failure names the request (truncated) and the answer.
 */
async function check(route: AnyRoute, fuzz: FuzzCase): Promise<{ status: number; routed: boolean }> {
  const headers = {
    ...(await authHeaders(app, route, {
      method: fuzz.method,
      path: fuzz.path,
      body: fuzz.body,
      sub: fuzz.sub,
    })),
    ...fuzz.headers,
  };
  const before = await snapshot();
  const response = await rawRequest(app, { method: fuzz.method, path: fuzz.path, headers, body: fuzz.body });
  const answer = `${describeCase(fuzz)}\n  → ${response.status} ${truncate(response.body, 400)}`;
  if (response.status >= 500) throw new Error(`a ${response.status}:\n  ${answer}`);
  if (response.status >= 400) {
    const defect = problemDefect(response);
    if (defect)
      throw new Error(`a ${response.status} that is not a problem document (${defect}):\n  ${answer}`);
    // The one table a refusal may write: a keyed request refused by its handler is
    // remembered, so that its retry gets the same answer (docs/conventions.md#idempotency-key).
    const changed = changedTables(before, await snapshot()).filter(
      (table) => !(table === 'idempotency_keys' && fuzz.keyed),
    );
    if (changed.length > 0)
      throw new Error(`refused with ${response.status}, yet ${changed.join(', ')} changed:\n  ${answer}`);
  } else {
    await keepWorldAlive();
  }
  return { status: response.status, routed: !unrouted(response) };
}

describe('hostile input on every route (docs/conventions.md#errors)', () => {
  it('covers the route table', () => {
    expect(routes.length).toBeGreaterThan(30);
  });

  it.each(routes.map((route) => [`${route.method.toUpperCase()} ${route.path}`, route] as const))(
    '%s: never a 5xx; every 4xx a problem document that changed nothing',
    async (_name, route) => {
      const statuses = new Map<number, number>();
      const routedStatuses = new Set<number>();
      await fc.assert(
        fc.asyncProperty(casesFor(route), async (fuzz) => {
          const { status, routed } = await check(route, fuzz);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (routed) routedStatuses.add(status);
        }),
        { numRuns: RUNS_PER_ROUTE, ...(SEED === undefined ? {} : { seed: SEED }) },
      );
      if (process.env.FUZZ_VERBOSE)
        console.error(
          `${route.method.toUpperCase()} ${route.path}`,
          Object.fromEntries([...statuses].sort()),
        );
      // Each status answered is one the OpenAPI document lists (issue 15); /docs is not in it.
      const listed = document.paths[openApiPath(route.path)]?.[route.method]?.responses;
      const unlisted = listed ? [...routedStatuses].filter((status) => !(status in listed)) : [];
      expect({ route: route.path, unlisted }).toEqual({ route: route.path, unlisted: [] });
      // The cases must get past authentication, or they prove nothing about validation.
      const past = [...statuses].filter(([status]) => status !== 401 && status !== 403);
      expect(past.length).toBeGreaterThan(0);
    },
    120_000,
  );
});

/** Sends `body` to `route` as an authenticated caller of `world`'s. */
async function sendAuthenticated(
  route: AnyRoute,
  path: string,
  body: string | undefined,
  options: { chunked?: boolean; sub?: string } = {},
): Promise<RawResponse> {
  const method = route.method.toUpperCase();
  return rawRequest(app, {
    method,
    path,
    headers: {
      ...(await authHeaders(app, route, { method, path, body, sub: options.sub ?? world.user.cognito_sub })),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body }),
    ...(options.chunked ? { chunked: true } : {}),
  });
}

describe('the body size limit (docs/conventions.md#errors: over the limit → 413)', () => {
  const limit = bytesOf(JSON_BODY_LIMIT);
  /** A JSON document of exactly `size` bytes. */
  const documentOf = (size: number) => {
    const shell = '{"padding":""}';
    return `{"padding":"${'x'.repeat(size - shell.length)}"}`;
  };
  const withBodies = routes.filter((route) => BODY_METHODS.has(route.method));

  it('knows the limit', () => {
    expect(limit).toBe(1024 * 1024);
    expect(withBodies.length).toBeGreaterThan(10);
  });

  it.each(withBodies.map((route) => [`${route.method.toUpperCase()} ${route.path}`, route] as const))(
    '%s: one byte over is 413 payload_too_large (with and without content-length); at the limit is not',
    async (_name, route) => {
      const path = validPath(route, world);
      const over = documentOf(limit + 1);
      expect(Buffer.byteLength(over)).toBe(limit + 1);
      for (const chunked of [false, true]) {
        const before = await snapshot();
        const response = await sendAuthenticated(route, path, over, { chunked });
        expect({ chunked, status: response.status, code: problemCode(response) }).toEqual({
          chunked,
          status: 413,
          code: 'payload_too_large',
        });
        expect(problemDefect(response)).toBeUndefined();
        expect(changedTables(before, await snapshot())).toEqual([]);
      }
      const atLimit = await sendAuthenticated(route, path, documentOf(limit));
      expect(atLimit.status).not.toBe(413);
      expect(atLimit.status).toBeLessThan(500);
    },
  );
});

describe('pagination caps (docs/conventions.md#pagination: limit defaults to 50, at most 100)', () => {
  const paginated = routes.filter((route) => route.query && jsonSchemaOf(route.query).properties?.limit);
  /** The lists whose own page is larger, as their docs say (docs/internal-api.md#at-risk). */
  const LARGER_PAGES: Record<string, number> = { '/internal/adherence/at-risk': AT_RISK_MAX_LIMIT };
  const maxOf = (route: AnyRoute) => LARGER_PAGES[route.path] ?? MAX_LIMIT;
  const ROWS = MAX_LIMIT + 20;
  let owner: World;

  beforeAll(async () => {
    // One user with more rows than a page holds in every list of theirs, and as many
    // dentists and HubSpot events in the (global) internal lists.
    const knex = app.deps.knex;
    const user = await createUser(knex);
    await createTreatment(knex, { user_id: user.id });
    const dentist = await createDentist(knex);
    owner = {
      user,
      token: await tokenFor(user.cognito_sub),
      base: `/auth/users/${user.cognito_sub}`,
      ids: {},
      dentistIds: [dentist.id],
    };
    const hour = 3600_000;
    const start = Date.now() - (ROWS + 2) * hour;
    await knex('aligner_changes').insert(
      Array.from({ length: ROWS }, (_, i) => ({
        user_id: user.id,
        aligner_number: (i % 100) + 1,
        changed_on: '2026-01-01',
      })),
    );
    await knex('reminders').insert(
      Array.from({ length: ROWS }, () => ({
        user_id: user.id,
        type: 'progress',
        status: 'cancelled',
        send_after: new Date(),
      })),
    );
    await knex('wear_sessions').insert(
      Array.from({ length: ROWS }, (_, i) => ({
        id: randomUUID(),
        user_id: user.id,
        started_at: new Date(start + i * hour),
        ended_at: new Date(start + i * hour + hour / 2),
      })),
    );
    await knex('dentist_change_requests').insert(
      Array.from({ length: ROWS }, () => ({ user_id: user.id, dentist_id: dentist.id, status: 'failed' })),
    );
    for (let i = 0; i < ROWS; i += 1) {
      await createImage(knex, user);
      await createDentist(knex);
      await createHubspotEvent(knex);
    }
    // More patients at risk than the at-risk list's own page, as the worker writes them.
    await knex.raw(
      `with patients as (
         insert into users (cognito_sub, email, timezone, locale)
         select gen_random_uuid(), 'at-risk-' || n || '@example.com', 'Europe/London', 'en-GB'
           from generate_series(1, ?) n
         returning id
       ), treated as (
         insert into treatments (user_id, status, total_aligners, current_aligner, change_interval_days,
                                 started_on, current_aligner_started_on)
         select id, 'active', 20, 1, 14, current_date - 20, current_date - 6 from patients
       )
       insert into adherence_windows (user_id, window_days, through, silent, wear_ratio, figures, computed_at)
       select id, 7, current_date - 1, false, 0.5 + random() * 0.3, '{}'::jsonb, now() from patients`,
      [AT_RISK_MAX_LIMIT + 20],
    );
  });

  it('finds the paginated lists, and their schemas say what docs/conventions.md#pagination says', () => {
    expect(paginated.length).toBeGreaterThanOrEqual(5);
    for (const route of paginated) {
      const limit = jsonSchemaOf(route.query!).properties!.limit!;
      expect({ path: route.path, maximum: limit.maximum }).toEqual({
        path: route.path,
        maximum: maxOf(route),
      });
      expect(MAX_LIMIT).toBe(100);
      expect(DEFAULT_LIMIT).toBe(50);
    }
  });

  it.each(paginated.map((route) => [`${route.method.toUpperCase()} ${route.path}`, route] as const))(
    '%s: over the maximum is refused, 50 by default, the maximum at most, and the cursor pages on',
    async (_name, route) => {
      const path = validPath(route, owner);
      const max = maxOf(route);
      const get = (query: string) =>
        sendAuthenticated(route, `${path}?${query}`, undefined, { sub: owner.user.cognito_sub });

      for (const limit of [String(max + 1), '1000000', '0', '-1', '1.5', '1e308', 'abc', '']) {
        const response = await get(`limit=${limit}`);
        const body = JSON.parse(response.body) as {
          items?: unknown[];
          code?: string;
          errors?: Array<{ path: string }>;
        };
        // Refused, as docs/conventions.md#pagination says, or clamped: then the page holds at most the maximum.
        const clamped = response.status === 200 && (body.items?.length ?? Infinity) <= max;
        const refused =
          response.status === 422 &&
          body.code === 'validation_failed' &&
          (body.errors ?? []).some((error) => error.path === 'query.limit');
        expect({ limit, status: response.status, clampedOrRefused: clamped || refused }).toEqual({
          limit,
          status: response.status,
          clampedOrRefused: true,
        });
      }

      const byDefault = await get('');
      expect(byDefault.status).toBe(200);
      const first = JSON.parse(byDefault.body) as { items: unknown[]; next_cursor: string | null };
      // More than a page exists for every list (seeded above): a new list needs rows there too.
      expect({ path: route.path, items: first.items.length }).toEqual({
        path: route.path,
        items: DEFAULT_LIMIT,
      });

      const full = await get(`limit=${max}`);
      expect(full.status).toBe(200);
      const page = JSON.parse(full.body) as { items: unknown[]; next_cursor: string | null };
      expect(page.items).toHaveLength(max);
      expect(page.next_cursor).toEqual(expect.any(String));

      const next = await get(`limit=${max}&cursor=${encodeURIComponent(page.next_cursor!)}`);
      expect(next.status).toBe(200);
      const rest = JSON.parse(next.body) as { items: unknown[] };
      expect(rest.items.length).toBeGreaterThan(0);
      expect(rest.items.length).toBeLessThanOrEqual(max);
    },
  );
});

describe('regressions: what this fuzz found, pinned', () => {
  /** Sends and asserts a refusal with this status and code that changed nothing. */
  async function expectRefused(
    request: { method: string; path: string; headers: Record<string, string>; body?: string },
    status: number,
    code: string,
  ) {
    const before = await snapshot();
    const response = await rawRequest(app, request);
    expect({ status: response.status, code: problemCode(response) }).toEqual({ status, code });
    expect(problemDefect(response)).toBeUndefined();
    expect(changedTables(before, await snapshot())).toEqual([]);
  }
  const route = (method: string, path: string) => routes.find((r) => r.method === method && r.path === path)!;
  const signed = async (body: string) => ({
    'content-type': 'application/json',
    ...(await authHeaders(app, route('post', '/public/hubspot/webhooks'), {
      method: 'POST',
      path: '/public/hubspot/webhooks',
      body,
      sub: '',
    })),
  });

  it('a body that is not brotli, sent as `content-encoding: br`, is a 400 (was a 500)', async () => {
    await expectRefused(
      {
        method: 'PUT',
        path: world.base,
        headers: {
          authorization: `Bearer ${world.token}`,
          'content-type': 'application/json',
          'content-encoding': 'br',
        },
        body: '{"email":"a@example.com","timezone":"UTC"}',
      },
      400,
      'bad_request',
    );
  });

  it('a NUL character in a cursor is a 422 (was a 500: Postgres refuses NUL in text)', async () => {
    const cursor = Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000000Z', '\u0000'])).toString(
      'base64url',
    );
    await expectRefused(
      {
        method: 'GET',
        path: `/internal/hubspot/events?cursor=${cursor}`,
        headers: { 'x-api-key': app.config.INTERNAL_API_KEYS[0]! },
      },
      422,
      'validation_failed',
    );
  });

  it('a NUL character in a profile text field is a 422, and nothing is stored (was a 500)', async () => {
    await expectRefused(
      {
        method: 'PUT',
        path: world.base,
        headers: { authorization: `Bearer ${world.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ email: world.user.email, timezone: 'UTC', first_name: 'Sam\u0000' }),
      },
      422,
      'validation_failed',
    );
  });

  it('a NUL character in a HubSpot value is stored as U+FFFD: refusing the delivery would lose its other events', async () => {
    const event = hubspotEvent({ propertyValue: 'a\u0000b', objectId: 9_000_001 });
    const batch = JSON.stringify([event, hubspotEvent({ objectId: 9_000_002 })]);
    const response = await rawRequest(app, {
      method: 'POST',
      path: '/public/hubspot/webhooks',
      headers: await signed(batch),
      body: batch,
    });
    expect(response.status).toBe(200);
    const stored = await app.deps.knex('hubspot_events').whereIn('object_id', [9_000_001, 9_000_002]);
    expect(stored).toHaveLength(2);
    const withNul = stored.find((row: { object_id: string }) => Number(row.object_id) === 9_000_001);
    expect(withNul.property_value).toBe('a\uFFFDb');
    expect(withNul.payload.propertyValue).toBe('a\uFFFDb');
  });

  it('a signed HubSpot event nested 200 000 levels deep is a 400, and nothing is stored (was a 500)', async () => {
    const batch = withDeepExtra(JSON.stringify([hubspotEvent()]), 200_000);
    expect(Buffer.byteLength(batch)).toBeLessThan(bytesOf(JSON_BODY_LIMIT));
    await expectRefused(
      { method: 'POST', path: '/public/hubspot/webhooks', headers: await signed(batch), body: batch },
      400,
      'body_too_deep',
    );
  });

  it(`a body nested exactly ${JSON_MAX_DEPTH} levels deep is accepted, one more is not`, async () => {
    // A batch is an array of objects: two levels, before the extra key's arrays.
    const send = async (depth: number) => {
      const batch = withDeepExtra(JSON.stringify([hubspotEvent()]), depth - 2);
      return rawRequest(app, {
        method: 'POST',
        path: '/public/hubspot/webhooks',
        headers: await signed(batch),
        body: batch,
      });
    };
    expect((await send(JSON_MAX_DEPTH)).status).toBe(200);
    expect((await send(JSON_MAX_DEPTH + 1)).status).toBe(400);
  });
});

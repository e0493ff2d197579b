import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, tokenFor, type TestApp } from '../../support/app.js';
import { createUser } from '../../support/factories.js';
import {
  complete,
  makePng,
  newPatient,
  postToS3,
  rawRequest,
  startUpload,
  uploadImage,
  type Patient,
} from '../../support/image-fixtures.js';

let app: TestApp;
let owner: Patient;
let stranger: Patient;
let uploaded: Awaited<ReturnType<typeof uploadImage>>;
let pendingId: string;

beforeAll(async () => {
  app = await startTestApp();
  owner = await newPatient(app);
  stranger = await newPatient(app);
  uploaded = await uploadImage(app, owner);
  const pending = await startUpload(app, owner);
  await postToS3(pending.upload, makePng(2, 2));
  pendingId = pending.id;
});
afterAll(() => app.close());

type Call = { name: string; method: string; path: (base: string, id: string) => string; json?: unknown };

/** Every image route, with a valid body where one is needed. */
const ROUTES: Call[] = [
  {
    name: 'create',
    method: 'POST',
    path: (base) => base,
    json: { view: 'front', content_type: 'image/png' },
  },
  { name: 'complete', method: 'POST', path: (base, id) => `${base}/${id}/complete`, json: {} },
  { name: 'list', method: 'GET', path: (base) => base },
  { name: 'get', method: 'GET', path: (base, id) => `${base}/${id}` },
  { name: 'delete', method: 'DELETE', path: (base, id) => `${base}/${id}` },
];
const ROUTES_WITH_ID = ROUTES.filter((route) => route.path('B', 'I').includes('I'));

async function call(route: Call, base: string, id: string, token?: string) {
  const response = await app.request(route.path(base, id), {
    method: route.method,
    ...(token ? { token } : {}),
    ...(route.json !== undefined ? { json: route.json } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

describe('objects are looked up within the user only (docs/auth.md#object-ownership)', () => {
  it.each(ROUTES_WITH_ID.map((route) => [route.name, route] as const))(
    "%s: another user's image id is 404, and the image is untouched",
    async (_name, route) => {
      for (const id of [uploaded.id, pendingId]) {
        const result = await call(route, stranger.base, id, stranger.token);
        expect(result.status).toBe(404);
        expect(result.body).toMatchObject({ code: 'not_found', detail: 'No such image' });
      }
      expect(await app.deps.knex('images').whereIn('id', [uploaded.id, pendingId]).pluck('id')).toHaveLength(
        2,
      );
      expect((await app.s3.head(uploaded.key)).status).toBe(200);
    },
  );

  it.each(ROUTES_WITH_ID.map((route) => [route.name, route] as const))(
    '%s: an unknown image id is the same 404',
    async (_name, route) => {
      const result = await call(route, owner.base, randomUUID(), owner.token);
      expect(result.status).toBe(404);
      expect(result.body).toMatchObject({ code: 'not_found', detail: 'No such image' });
    },
  );

  it("never lists another user's photos", async () => {
    const response = await app.request(stranger.base, { token: stranger.token });
    expect(await response.json()).toEqual({ items: [], next_cursor: null });
  });

  it('answers 404 on a pending image (not a photo yet) and leaves it out of the listing', async () => {
    expect((await app.request(`${owner.base}/${pendingId}`, { token: owner.token })).status).toBe(404);
    const listed = (await (await app.request(owner.base, { token: owner.token })).json()) as {
      items: Array<{ id: string }>;
    };
    expect(listed.items.map((item) => item.id)).toEqual([uploaded.id]);
  });

  it('answers 404 on every route for a user with no profile', async () => {
    const ghost = { base: `/auth/users/${randomUUID()}/images` };
    const sub = ghost.base.split('/')[3]!;
    const token = await tokenFor(sub);
    for (const route of ROUTES) {
      const result = await call(route, ghost.base, randomUUID(), token);
      expect([route.name, result.status]).toEqual([route.name, 404]);
    }
  });
});

describe('authentication and authorization (docs/auth.md)', () => {
  it.each(ROUTES.map((route) => [route.name, route] as const))('%s: no token → 401', async (_name, route) => {
    const result = await call(route, owner.base, uploaded.id);
    expect(result.status).toBe(401);
    expect(result.body).toMatchObject({ code: 'unauthorized' });
  });

  it.each(ROUTES.map((route) => [route.name, route] as const))(
    "%s: another user's path → 403, whether or not that user exists",
    async (_name, route) => {
      for (const base of [owner.base, `/auth/users/${randomUUID()}/images`]) {
        const result = await call(route, base, uploaded.id, stranger.token);
        expect(result.status).toBe(403);
        expect(result.body).toMatchObject({ code: 'forbidden' });
      }
      expect((await app.s3.head(uploaded.key)).status).toBe(200);
    },
  );

  it('rejects an expired token with 401', async () => {
    const expired = await tokenFor(owner.user.cognito_sub, { expiresInSeconds: -60 });
    expect((await app.request(owner.base, { token: expired })).status).toBe(401);
  });
});

describe('validation: every failure is 422 with the path of the bad value (docs/conventions.md#errors)', () => {
  const create = async (json: unknown) => {
    const response = await app.request(owner.base, { method: 'POST', token: owner.token, json });
    return { status: response.status, body: (await response.json()) as { code: string; errors?: unknown } };
  };
  const valid = { view: 'front', content_type: 'image/png' };

  it.each([
    ['no fields', {}, ['body.view', 'body.content_type']],
    ['a view outside the list', { ...valid, view: 'back' }, ['body.view']],
    ['a view trying a path', { ...valid, view: '../../other-user' }, ['body.view']],
    ['a type outside the list', { ...valid, content_type: 'image/gif' }, ['body.content_type']],
    ['a type trying a path', { ...valid, content_type: 'image/png/../../../x' }, ['body.content_type']],
    ['a type with parameters', { ...valid, content_type: 'image/png; charset=utf-8' }, ['body.content_type']],
    ['a key of its own', { ...valid, key: 'users/someone-else/images/x.png' }, ['body']],
    ['a bucket of its own', { ...valid, bucket: 'other-bucket' }, ['body']],
    ['aligner number 0', { ...valid, aligner_number: 0 }, ['body.aligner_number']],
    ['aligner number 101', { ...valid, aligner_number: 101 }, ['body.aligner_number']],
    ['a fractional aligner number', { ...valid, aligner_number: 1.5 }, ['body.aligner_number']],
    ['an aligner number as text', { ...valid, aligner_number: '3' }, ['body.aligner_number']],
    ['a taken_at that is not a date-time', { ...valid, taken_at: 'yesterday' }, ['body.taken_at']],
    ['a taken_at without a zone', { ...valid, taken_at: '2026-11-20T08:30:00' }, ['body.taken_at']],
    ['a taken_at in the future', { ...valid, taken_at: '2099-01-01T00:00:00Z' }, ['body.taken_at']],
    ['an array body', [valid], ['body']],
  ])('POST /images with %s', async (_case, json, paths) => {
    const result = await create(json);
    expect(result.status).toBe(422);
    expect(result.body.code).toBe('validation_failed');
    const errors = result.body.errors as Array<{ path: string; message: string }>;
    expect(errors.map((error) => error.path).sort()).toEqual([...paths].sort());
    for (const error of errors) expect(error.message).toEqual(expect.any(String));
  });

  it.each([
    ['view=back', 'query.view'],
    ['aligner_number=abc', 'query.aligner_number'],
    ['aligner_number=0', 'query.aligner_number'],
    ['limit=0', 'query.limit'],
    ['limit=101', 'query.limit'],
    ['cursor=not-a-cursor', 'query.cursor'],
  ])('GET /images?%s', async (query, path) => {
    const response = await app.request(`${owner.base}?${query}`, { token: owner.token });
    expect(response.status).toBe(422);
    const body = (await response.json()) as { errors: Array<{ path: string }> };
    expect(body.errors.map((error) => error.path)).toEqual([path]);
  });

  it.each(ROUTES_WITH_ID.map((route) => [route.name, route] as const))(
    '%s with an id that is not a UUID',
    async (_name, route) => {
      const result = await call(route, owner.base, 'not-a-uuid', owner.token);
      expect(result.status).toBe(422);
      expect(result.body).toMatchObject({ errors: [{ path: 'params.id', message: expect.any(String) }] });
    },
  );

  it('answers 400 to malformed JSON', async () => {
    const response = await app.request(owner.base, {
      method: 'POST',
      token: owner.token,
      headers: { 'content-type': 'application/json' },
      body: '{"view": ',
    });
    expect(response.status).toBe(400);
  });
});

describe('the object key is the server’s alone', () => {
  it('always makes users/{own sub}/images/{new id}.{ext}, whatever else the request holds', async () => {
    const started = await startUpload(app, owner, {
      view: 'other',
      content_type: 'image/webp',
      aligner_number: 7,
    });
    expect(started.upload.fields.key).toBe(`users/${owner.user.cognito_sub}/images/${started.id}.webp`);
    const row = await app.deps.knex('images').where({ id: started.id }).first();
    expect(row.object_key).toBe(started.upload.fields.key);
  });

  it.each(['..', '.'])(
    'refuses a subject %p that would rewrite the prefix (422), even when it is the caller’s',
    async (sub) => {
      await createUser(app.deps.knex, { cognito_sub: sub });
      const token = await tokenFor(sub);
      const encoded = sub.replaceAll('.', '%2E');
      for (const route of ROUTES) {
        const path = route.path(`/auth/users/${encoded}/images`, randomUUID());
        const result = await rawRequest(
          app.url,
          route.method,
          path,
          { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          route.json !== undefined ? JSON.stringify(route.json) : undefined,
        );
        expect([route.name, result.status]).toEqual([route.name, 422]);
        expect(JSON.parse(result.body)).toMatchObject({ errors: [{ path: 'params.cognito_sub' }] });
      }
      expect(await app.deps.knex('images').where('object_key', 'like', `users/${sub}/%`)).toEqual([]);
    },
  );

  it('keeps a complete from touching any object but the image’s own', async () => {
    // A stranger's pending image next to the owner's: completing one never reads the other.
    const mine = await startUpload(app, stranger);
    expect((await complete(app, stranger, mine.id)).status).toBe(422);
    expect((await app.s3.head(uploaded.key)).status).toBe(200);
  });
});

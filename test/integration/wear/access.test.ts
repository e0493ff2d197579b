import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, tokenFor, type TestApp } from '../../support/app.js';
import { createWearSession } from '../../support/factories.js';
import { call, newPatient, type Patient } from '../../support/wear-fixtures.js';

let app: TestApp;
let owner: Patient;
let stranger: Patient;
let sessionId: string;

beforeAll(async () => {
  app = await startTestApp();
  owner = await newPatient(app);
  stranger = await newPatient(app);
  sessionId = (await createWearSession(app.deps.knex, { user_id: owner.user.id })).id;
});
afterAll(() => app.close());

type Route = { name: string; method: string; path: (id: string) => string; json?: unknown };

/** Every wear route, with a valid body where one is needed. */
const ROUTES: Route[] = [
  { name: 'start', method: 'POST', path: () => '/wear-sessions', json: {} },
  { name: 'edit', method: 'PATCH', path: (id) => `/wear-sessions/${id}`, json: { reason: 'other' } },
  { name: 'list', method: 'GET', path: () => '/wear-sessions' },
  { name: 'delete', method: 'DELETE', path: (id) => `/wear-sessions/${id}` },
  { name: 'stats', method: 'GET', path: () => '/wear-stats?from=2026-01-01&to=2026-01-31' },
];
const each = ROUTES.map((route) => [route.name, route] as const);

const send = (route: Route, base: string, token: string | undefined, id = sessionId) =>
  call(app, { base, token }, route.method, route.path(id), route.json);

describe('authentication and authorization (docs/auth.md)', () => {
  it.each(each)('%s: no token → 401', async (_name, route) => {
    const answer = await send(route, owner.base, undefined);
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ code: 'unauthorized' });
  });

  it.each(each)('%s: an expired token → 401', async (_name, route) => {
    const expired = await tokenFor(owner.user.cognito_sub, { expiresInSeconds: -60 });
    expect((await send(route, owner.base, expired)).status).toBe(401);
  });

  it.each(each)("%s: another user's path → 403, whether or not that user exists", async (_name, route) => {
    for (const base of [owner.base, `/auth/users/${randomUUID()}`]) {
      const answer = await send(route, base, stranger.token);
      expect(answer.status).toBe(403);
      expect(answer.body).toMatchObject({ code: 'forbidden' });
    }
    expect(await app.deps.knex('wear_sessions').where({ id: sessionId }).first()).toMatchObject({
      reason: 'meal',
    });
    expect(await app.deps.knex('wear_sessions').where({ user_id: stranger.user.id })).toHaveLength(0);
  });

  it.each(each)('%s: a user with no profile → 404', async (_name, route) => {
    const sub = randomUUID();
    const answer = await send(route, `/auth/users/${sub}`, await tokenFor(sub));
    expect(answer.status).toBe(404);
  });

  it.each(each)('%s: a profile being erased → 404', async (_name, route) => {
    const erased = await newPatient(app);
    await app.deps.knex('users').where({ id: erased.user.id }).update({ deleted_at: new Date() });
    expect((await send(route, erased.base, erased.token)).status).toBe(404);
  });

  it.each(each.filter(([name]) => name === 'edit' || name === 'delete'))(
    "%s: another user's session id → 404, untouched",
    async (_name, route) => {
      const answer = await send(route, stranger.base, stranger.token);
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ code: 'not_found', detail: 'No such wear session' });
      expect(await app.deps.knex('wear_sessions').where({ id: sessionId }).first()).toMatchObject({
        reason: 'meal',
      });
    },
  );
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, tokenFor, type TestApp } from '../../support/app.js';
import { createUser } from '../../support/factories.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const profile = {
  email: 'Jamie.Doe+aligners@example.com',
  first_name: 'Jamie',
  last_name: 'Doe',
  timezone: 'Europe/London',
  locale: 'en-GB',
};

describe('PUT/GET /auth/users/{cognito_sub}', () => {
  it('creates (201), reads (200) and updates (200) the profile', async () => {
    const sub = randomUUID();
    const token = await tokenFor(sub);
    expect((await app.request(`/auth/users/${sub}`, { token })).status).toBe(404);

    const created = await app.request(`/auth/users/${sub}`, { method: 'PUT', token, json: profile });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ cognito_sub: sub, ...profile });

    const updated = await app.request(`/auth/users/${sub}`, {
      method: 'PUT',
      token,
      json: { ...profile, timezone: 'Asia/Kolkata' },
    });
    expect(updated.status).toBe(200);

    const read = await app.request(`/auth/users/${sub}`, { token });
    expect(read.status).toBe(200);
    const body = (await read.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ cognito_sub: sub, email: profile.email, timezone: 'Asia/Kolkata' });
    expect(body.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(await app.deps.knex('users').where({ cognito_sub: sub }).count({ n: '*' })).toEqual([{ n: 1 }]);
  });

  it.each([
    ['email', { ...profile, email: 'not-an-email' }, 'body.email'],
    ['timezone', { ...profile, timezone: 'Mars/Olympus' }, 'body.timezone'],
    ['timezone (luxon-only names)', { ...profile, timezone: 'local' }, 'body.timezone'],
    ['locale', { ...profile, locale: '!!' }, 'body.locale'],
    ['unknown field', { ...profile, is_admin: true }, 'body'],
    ['missing email', { timezone: 'UTC' }, 'body.email'],
  ])('rejects an invalid %s with 422 and the field path, changing nothing', async (_case, json, path) => {
    const sub = randomUUID();
    const response = await app.request(`/auth/users/${sub}`, {
      method: 'PUT',
      token: await tokenFor(sub),
      json,
    });
    expect(response.status).toBe(422);
    const body = (await response.json()) as { code: string; errors: Array<{ path: string }> };
    expect(body.code).toBe('validation_failed');
    expect(body.errors.map((error) => error.path)).toContain(path);
    expect(await app.deps.knex('users').where({ cognito_sub: sub }).first()).toBeUndefined();
  });

  it('answers 409 when the email (in any case) belongs to another account', async () => {
    const other = await createUser(app.deps.knex, { email: 'taken@example.com' });
    const sub = randomUUID();
    const response = await app.request(`/auth/users/${sub}`, {
      method: 'PUT',
      token: await tokenFor(sub),
      json: { ...profile, email: 'TAKEN@example.com' },
    });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ code: 'email_taken' });
    expect(await app.deps.knex('users').where({ id: other.id }).first()).toMatchObject({
      email: 'taken@example.com',
    });
  });
});

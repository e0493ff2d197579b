import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import { startTestApp, tokenFor, type TestApp } from '../../support/app.js';
import { createUser } from '../../support/factories.js';

let app: TestApp;
let sub: string;

beforeAll(async () => {
  app = await startTestApp();
  sub = (await createUser(app.deps.knex)).cognito_sub;
});
afterAll(() => app.close());

const unsigned = (payload: Record<string, unknown>) =>
  new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('any'));

describe('/auth JWT authentication (docs/auth.md#jwt)', () => {
  it.each([
    ['no Authorization header', undefined],
    ['a non-bearer scheme', 'Basic dXNlcjpwYXNz'],
    ['a bearer value that is not a JWT', 'Bearer not-a-jwt'],
    [
      'a JWT whose payload is not JSON',
      `Bearer eyJhbGciOiJIUzI1NiJ9.${Buffer.from('nope').toString('base64url')}.c2ln`,
    ],
  ])('answers 401 for %s', async (_case, header) => {
    const response = await app.request(
      `/auth/users/${sub}`,
      header ? { headers: { authorization: header } } : {},
    );
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('answers 401 for a JWT without a sub', async () => {
    const token = await unsigned({ exp: Math.floor(Date.now() / 1000) + 60 });
    expect((await app.request(`/auth/users/${sub}`, { token })).status).toBe(401);
  });

  it('answers 401 for a JWT whose sub is not a string', async () => {
    const token = await unsigned({ sub: 12345 });
    expect((await app.request(`/auth/users/${sub}`, { token })).status).toBe(401);
  });

  it('answers 401 for an expired JWT', async () => {
    const token = await tokenFor(sub, { expiresInSeconds: -1 });
    const response = await app.request(`/auth/users/${sub}`, { token });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ detail: 'The token has expired' });
  });

  it('answers 403 for a valid JWT of another user, whether or not that user exists', async () => {
    const other = await createUser(app.deps.knex);
    const token = await tokenFor(sub);
    const existing = await app.request(`/auth/users/${other.cognito_sub}`, { token });
    const missing = await app.request(`/auth/users/${randomUUID()}`, { token });
    expect([existing.status, missing.status]).toEqual([403, 403]);
    expect(await existing.json()).toMatchObject({ code: 'forbidden' });
  });

  it('checks the path before reading the body: another sub with a malformed body is 403, not 400', async () => {
    const response = await app.request(`/auth/users/${randomUUID()}`, {
      method: 'PUT',
      token: await tokenFor(sub),
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(response.status).toBe(403);
  });

  it('lets the owner in', async () => {
    const response = await app.request(`/auth/users/${sub}`, { token: await tokenFor(sub) });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ cognito_sub: sub });
  });

  it('accepts a token without exp (API Gateway enforces expiry when it issues none)', async () => {
    const token = await unsigned({ sub });
    expect((await app.request(`/auth/users/${sub}`, { token })).status).toBe(200);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../../support/app.js';
import { TEST_INTERNAL_KEYS } from '../../support/config.js';
import { createUser } from '../../support/factories.js';

let app: TestApp;
let email: string;
let cognitoSub: string;

beforeAll(async () => {
  app = await startTestApp();
  const user = await createUser(app.deps.knex, { email: `Jo.Internal+${Date.now()}@Example.com` });
  email = user.email;
  cognitoSub = user.cognito_sub;
});
afterAll(() => app.close());

const [CURRENT_KEY, PREVIOUS_KEY] = TEST_INTERNAL_KEYS;

const lookup = (target: TestApp, address: string, key?: string) =>
  target.request(`/internal/users?email=${encodeURIComponent(address)}`, {
    headers: key === undefined ? {} : { 'x-api-key': key },
  });

async function expectUnauthorized(response: Response): Promise<string> {
  expect(response.status).toBe(401);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  const text = await response.text();
  expect(JSON.parse(text)).toMatchObject({ status: 401, code: 'unauthorized' });
  return text;
}

describe('/internal API-key authentication (docs/auth.md#api-keys)', () => {
  it.each([
    ['no x-api-key header', undefined],
    ['an empty x-api-key', ''],
    ['a wrong key of the same length', CURRENT_KEY.replace(/.$/, (c) => (c === 'x' ? 'y' : 'x'))],
    ['a key of a different length', 'short'],
    ['a configured key with a suffix', `${CURRENT_KEY}x`],
    ['a configured key minus its last character', CURRENT_KEY.slice(0, -1)],
    ['a configured key in another case', CURRENT_KEY.toUpperCase()],
    ['both configured keys joined by a comma', TEST_INTERNAL_KEYS.join(',')],
  ])('answers 401 for %s, revealing nothing about the user', async (_case, key) => {
    const response = await lookup(app, email, key);
    const text = await expectUnauthorized(response);
    expect(text).not.toContain(cognitoSub);
    expect(text.toLowerCase()).not.toContain(email.toLowerCase());
    expect(response.headers.get('x-request-id')).toBeTruthy();
  });

  it('does not take the key from the query string or the Authorization header', async () => {
    await expectUnauthorized(
      await app.request(`/internal/users?email=${encodeURIComponent(email)}&x-api-key=${CURRENT_KEY}`),
    );
    await expectUnauthorized(
      await app.request(`/internal/users?email=${encodeURIComponent(email)}`, {
        headers: { authorization: `Bearer ${CURRENT_KEY}` },
      }),
    );
  });

  it.each([
    ['the current key', CURRENT_KEY],
    ['the previous key (rotation)', PREVIOUS_KEY],
  ])('accepts %s: the user is found by email', async (_case, key) => {
    const response = await lookup(app, email, key);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ cognito_sub: cognitoSub, email });
  });

  it('finds the user whatever the case of the email', async () => {
    for (const variant of [email.toLowerCase(), email.toUpperCase()]) {
      const response = await lookup(app, variant, CURRENT_KEY);
      expect([variant, response.status]).toEqual([variant, 200]);
      expect(await response.json()).toMatchObject({ cognito_sub: cognitoSub });
    }
  });

  it('answers 404 for an email no user has', async () => {
    const response = await lookup(app, 'nobody-here@example.com', CURRENT_KEY);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'not_found' });
  });

  it('answers 422 when the email is missing or not an email', async () => {
    const missing = await app.request('/internal/users', { headers: { 'x-api-key': CURRENT_KEY } });
    expect(missing.status).toBe(422);
    expect(await missing.json()).toMatchObject({
      code: 'validation_failed',
      errors: [expect.objectContaining({ path: 'query.email' })],
    });
    const invalid = await lookup(app, 'not-an-email', CURRENT_KEY);
    expect(invalid.status).toBe(422);
  });

  it('asks for the key before validating anything: a bad query without a key is 401', async () => {
    await expectUnauthorized(await app.request('/internal/users'));
  });

  it('guards the whole /internal prefix: an unknown path is 401 without a key, 404 with one', async () => {
    await expectUnauthorized(await app.request('/internal/no-such-thing'));
    await expectUnauthorized(await app.request('/internal'));
    await expectUnauthorized(await app.request('/internal/no-such-thing', { method: 'DELETE' }));
    const known = await app.request('/internal/no-such-thing', { headers: { 'x-api-key': CURRENT_KEY } });
    expect(known.status).toBe(404);
    expect(await known.json()).toMatchObject({ code: 'not_found' });
  });

  it('does not guard paths that merely start with the same letters', async () => {
    const response = await app.request('/internalx/users');
    expect(response.status).toBe(404);
  });
});

describe('/internal with INTERNAL_API_KEYS empty', () => {
  let closed: TestApp;
  beforeAll(async () => {
    closed = await startTestApp({ env: { INTERNAL_API_KEYS: '' } });
    await createUser(closed.deps.knex, { email: 'present@example.com' });
  });
  afterAll(() => closed.close());

  it('has no keys configured', () => {
    expect(closed.config.INTERNAL_API_KEYS).toEqual([]);
  });

  it.each([
    ['no key', undefined],
    ['an empty key', ''],
    ['a formerly valid key', CURRENT_KEY],
    ['the development key', 'dev-internal-key'],
  ])('answers 401 to every call with %s', async (_case, key) => {
    await expectUnauthorized(await lookup(closed, 'present@example.com', key));
    await expectUnauthorized(
      await closed.request('/internal/hubspot/events', {
        headers: key === undefined ? {} : { 'x-api-key': key },
      }),
    );
  });
});

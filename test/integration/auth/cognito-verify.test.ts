import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import nock from 'nock';
import { startTestApp, tokenFor, type TestApp } from '../../support/app.js';
import { createUser } from '../../support/factories.js';

// COGNITO_VERIFY_JWT=true: the app verifies what API Gateway already verified, against
// the pool's JWKS (served here by nock, exactly where Cognito publishes it).
const REGION = 'eu-west-2';
const POOL = 'eu-west-2_TestPool1';
const CLIENT = 'app-client-123';
const ISSUER = `https://cognito-idp.${REGION}.amazonaws.com/${POOL}`;

let app: TestApp;
let sub: string;
let privateKey: CryptoKey;
let jwks: { keys: unknown[] };

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' }] };
  app = await startTestApp({
    env: {
      COGNITO_VERIFY_JWT: 'true',
      COGNITO_USER_POOL_ID: POOL,
      COGNITO_CLIENT_ID: CLIENT,
      AWS_REGION: REGION,
    },
  });
  sub = (await createUser(app.deps.knex)).cognito_sub;
});
afterAll(() => app.close());
beforeEach(() => {
  nock(ISSUER).get('/.well-known/jwks.json').reply(200, jwks).persist();
});

function cognitoToken(claims: Record<string, unknown> = {}, key: CryptoKey = privateKey): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ token_use: 'access', client_id: CLIENT, ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'key-1' })
    .setSubject(sub)
    .setIssuer(typeof claims.iss === 'string' ? claims.iss : ISSUER)
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(key);
}

describe('COGNITO_VERIFY_JWT=true', () => {
  it('accepts a token signed by the pool for the client', async () => {
    const response = await app.request(`/auth/users/${sub}`, { token: await cognitoToken() });
    expect(response.status).toBe(200);
  });

  it.each([
    ['another client', { client_id: 'someone-else' }],
    ['an unexpected token_use', { token_use: 'refresh' }],
    ['another issuer', { iss: 'https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_Other' }],
  ])('rejects a token for %s with 401', async (_case, claims) => {
    const response = await app.request(`/auth/users/${sub}`, { token: await cognitoToken(claims) });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ detail: 'The token could not be verified' });
  });

  it('rejects a token signed by another key, and the development token', async () => {
    const { privateKey: otherKey } = await generateKeyPair('RS256');
    expect(
      (await app.request(`/auth/users/${sub}`, { token: await cognitoToken({}, otherKey) })).status,
    ).toBe(401);
    expect((await app.request(`/auth/users/${sub}`, { token: await tokenFor(sub) })).status).toBe(401);
  });
});

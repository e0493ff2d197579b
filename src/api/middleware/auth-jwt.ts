import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { decodeJwt } from 'jose';
import type { Middleware } from 'koa';
import type { Config } from '../../shared/config.js';
import { unauthorized } from '../../shared/errors.js';

export interface JwtIdentity {
  sub: string;
}

type Verify = (token: string) => Promise<unknown>;

/**
 * Optional defence in depth (COGNITO_VERIFY_JWT): signature against the pool's JWKS,
 * issuer, expiry, client id, and a token_use of `id` or `access`.
 */
function cognitoVerifier(config: Config): Verify | undefined {
  if (!config.COGNITO_VERIFY_JWT || !config.COGNITO_USER_POOL_ID || !config.COGNITO_CLIENT_ID)
    return undefined;
  const verifier = CognitoJwtVerifier.create({
    userPoolId: config.COGNITO_USER_POOL_ID,
    clientId: config.COGNITO_CLIENT_ID,
    tokenUse: null,
    customJwtCheck: ({ payload }) => {
      if (payload.token_use !== 'id' && payload.token_use !== 'access')
        throw new Error('unexpected token_use');
    },
  });
  return (token) => verifier.verify(token);
}

/** The bearer token, or undefined when the header is missing or not a bearer header. */
function bearerToken(header: string): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * `/auth/*` (docs/auth.md#jwt): API Gateway has verified the JWT; we decode it and take `sub`.
 * Missing, undecodable, without a string `sub`, or expired → 401.
 */
export function jwtAuth(config: Config): Middleware {
  const verify = cognitoVerifier(config);
  return async (ctx, next) => {
    const token = bearerToken(ctx.get('authorization'));
    if (!token) throw unauthorized('A bearer token is required');
    let payload: ReturnType<typeof decodeJwt>;
    try {
      payload = decodeJwt(token);
    } catch {
      throw unauthorized('The bearer token is not a valid JWT');
    }
    if (typeof payload.sub !== 'string' || payload.sub.length === 0)
      throw unauthorized('The token has no subject');
    if (payload.exp !== undefined && (typeof payload.exp !== 'number' || payload.exp * 1000 <= Date.now())) {
      throw unauthorized('The token has expired');
    }
    if (verify) {
      try {
        await verify(token);
      } catch {
        throw unauthorized('The token could not be verified');
      }
    }
    ctx.state.identity = { sub: payload.sub } satisfies JwtIdentity;
    await next();
  };
}

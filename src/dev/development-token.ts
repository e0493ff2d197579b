import { SignJWT } from 'jose';

/**
 * A JWT shaped like a Cognito access token, for development and tests. It is signed
 * with a throwaway key: the API only decodes tokens (API Gateway verifies them in
 * production), unless COGNITO_VERIFY_JWT=true, where this token is rightly refused.
 */
export async function developmentToken(
  sub: string,
  options: { expiresInSeconds?: number; claims?: Record<string, unknown> } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ token_use: 'access', scope: 'aws.cognito.signin.user.admin', ...options.claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresInSeconds ?? 3600))
    .sign(new TextEncoder().encode('development-only-not-a-secret'));
}

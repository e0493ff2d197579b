import type { Middleware } from 'koa';
import { matchesAnySecret } from '../../shared/constant-time.js';
import { AppError } from '../../shared/errors.js';

/** HTTP Basic, compared in constant time (both parts together, so neither leaks alone). */
export function basicAuth(username: string, password: string, realm: string): Middleware {
  const expected = `${username}:${password}`;
  return async (ctx, next) => {
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(ctx.get('authorization'));
    const given = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
    if (!match || !matchesAnySecret(given, [expected])) {
      ctx.set('www-authenticate', `Basic realm="${realm}", charset="UTF-8"`);
      throw new AppError(401, 'unauthorized', 'Credentials are required');
    }
    await next();
  };
}

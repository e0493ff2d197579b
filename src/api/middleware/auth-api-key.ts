import type { Middleware } from 'koa';
import { matchesAnySecret } from '../../shared/constant-time.js';
import { unauthorized } from '../../shared/errors.js';

/** `/internal/*` (docs/auth.md#api-keys): `x-api-key` against INTERNAL_API_KEYS, any of which is valid. */
export function apiKeyAuth(keys: readonly string[]): Middleware {
  return async (ctx, next) => {
    const key = ctx.get('x-api-key');
    if (!key || keys.length === 0 || !matchesAnySecret(key, keys))
      throw unauthorized('A valid x-api-key header is required');
    await next();
  };
}

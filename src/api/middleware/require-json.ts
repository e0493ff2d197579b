import type { Middleware } from 'koa';
import { AppError } from '../../shared/errors.js';

/**
 * Bodies are JSON only (docs/conventions.md#json): a body of another type is 415 rather than being
 * silently ignored by the body parser and then reported as missing fields.
 */
export function requireJsonBody(): Middleware {
  return async (ctx, next) => {
    // An empty body (`content-length: 0`, as fetch sends for a bodiless POST) has no type to check.
    const empty = ctx.request.length === 0;
    if (!empty && ctx.is('application/json', 'application/*+json') === false) {
      throw new AppError(415, 'unsupported_media_type', 'Request bodies must be application/json');
    }
    await next();
  };
}

import type { Middleware } from 'koa';

/** Runs `middleware` only for paths under `prefix` (the prefix itself included). */
export function underPrefix(prefix: string, middleware: Middleware): Middleware {
  return async (ctx, next) => {
    if (ctx.path === prefix || ctx.path.startsWith(`${prefix}/`)) return middleware(ctx, next);
    return next();
  };
}

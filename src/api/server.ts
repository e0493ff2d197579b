import Router from '@koa/router';
import Koa from 'koa';
import { forbidden } from '../shared/errors.js';
import { bullBoard } from './admin/bull-board.js';
import type { AppDeps } from './deps.js';
import { apiKeyAuth } from './middleware/auth-api-key.js';
import { bodyChain } from './middleware/body.js';
import { hubspotSignatureAuth } from './middleware/auth-hubspot.js';
import { jwtAuth, type JwtIdentity } from './middleware/auth-jwt.js';
import { recordAppContact } from './middleware/record-contact.js';
import { errorHandler } from './middleware/error-handler.js';
import { idempotencyGuard } from './middleware/idempotency.js';
import { underPrefix } from './middleware/prefix.js';
import { requestContext } from './middleware/request-context.js';
import { parseInput, type AnyRoute, type ProfileInput } from './route.js';
import { findProfile } from '../users/profile.js';
import { routes as allRoutes } from './routes/index.js';

/** `/auth/users/{cognito_sub}/…` must be the caller's own sub, checked before anything is read (docs/auth.md#path-ownership). */
function ownSubOnly(route: AnyRoute): Koa.Middleware[] {
  if (!route.path.includes(':cognito_sub')) return [];
  return [
    async (ctx, next) => {
      const identity = ctx.state.identity as JwtIdentity | undefined;
      if (!identity || ctx.params.cognito_sub !== identity.sub) throw forbidden();
      await next();
    },
  ];
}

/** The input, with the caller's profile when the route `requiresProfile` (404 without one). */
async function withProfile(
  route: AnyRoute,
  input: ReturnType<typeof parseInput>,
  deps: AppDeps,
): Promise<ReturnType<typeof parseInput>> {
  if (!route.requiresProfile) return input;
  const { cognito_sub: cognitoSub } = input.params as { cognito_sub: string };
  const profile: ProfileInput = { user: await findProfile(deps.knex, cognitoSub) };
  return { ...input, ...profile };
}

/**
 * Each route's chain: path ownership → body (for HubSpot: raw body, then signature,
 * then type and parse errors) → input validation → Idempotency-Key (mobile POSTs) →
 * the caller's profile, where the route requires it → handler. The body is read only
 * once the caller is known to be allowed here: an anonymous caller learns nothing, not
 * even that its JSON is bad.
 */
function mountRoutes(deps: AppDeps, routes: readonly AnyRoute[]): Router {
  const router = new Router();
  const hubspot = hubspotSignatureAuth(deps.config, deps.logger);
  for (const route of routes) {
    if (route.requiresProfile && !route.path.includes(':cognito_sub'))
      throw new Error(`${route.method} ${route.path} requires a profile but has no :cognito_sub`);
    const idempotency = idempotencyGuard(route, deps);
    router[route.method](
      route.path,
      ...ownSubOnly(route),
      ...bodyChain(route.auth === 'hubspot_signature' ? hubspot : undefined),
      async (ctx) => {
        // Validated first: an invalid request is refused without claiming its Idempotency-Key.
        const input = parseInput(route, ctx);
        const handle = async () => route.handler(ctx, await withProfile(route, input, deps), deps);
        await (idempotency ? idempotency(ctx, handle) : handle());
      },
    );
  }
  return router;
}

/**
 * The API: request context → errors → per-prefix authentication → routes. JWT and
 * API-key checks guard their whole prefix, so even an unknown path under them asks
 * for credentials first.
 */
export function createApp(deps: AppDeps, routes: readonly AnyRoute[] = allRoutes): Koa {
  const app = new Koa();
  app.silent = true; // errors are logged by errorHandler, once, with the request id
  const router = mountRoutes(deps, routes);

  app.use(requestContext(deps.logger, deps.metrics));
  app.use(errorHandler(deps.logger));
  app.use(underPrefix('/auth', jwtAuth(deps.config)));
  app.use(underPrefix('/auth', recordAppContact(deps.knex, deps.logger)));
  app.use(underPrefix('/internal', apiKeyAuth(deps.config.INTERNAL_API_KEYS)));
  for (const middleware of bullBoard(deps.config, deps.queues)) app.use(middleware);
  app.use(router.routes());
  // Sets 405 with `Allow` (the error handler adds the problem document), and answers OPTIONS.
  app.use(router.allowedMethods());
  return app;
}

import Router from '@koa/router';
import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import { AppError, forbidden } from '../shared/errors.js';
import { bullBoard } from './admin/bull-board.js';
import type { AppDeps } from './deps.js';
import { apiKeyAuth } from './middleware/auth-api-key.js';
import { hubspotSignatureAuth } from './middleware/auth-hubspot.js';
import { jwtAuth, type JwtIdentity } from './middleware/auth-jwt.js';
import { errorHandler } from './middleware/error-handler.js';
import { underPrefix } from './middleware/prefix.js';
import { requestContext } from './middleware/request-context.js';
import { requireJsonBody } from './middleware/require-json.js';
import { parseInput, type AnyRoute } from './route.js';
import { routes as allRoutes } from './routes/index.js';

/** Body limit for every JSON endpoint; a HubSpot batch of 100 events is ~60 KB. */
export const JSON_BODY_LIMIT = '1mb';

/** `/auth/users/{cognito_sub}/…` must be the caller's own sub, checked before anything is read (SPEC §2). */
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

const parseJsonBody = bodyParser({
  enableTypes: ['json'],
  jsonLimit: JSON_BODY_LIMIT,
  strict: true,
  // keep the parser's own error (status 400/413) for errorHandler to map
  onerror: (error) => {
    throw error;
  },
});

/**
 * Each route's chain: path ownership → body type → body parse → signature (HubSpot,
 * which needs the raw body) → handler. The body is read only once the caller is known
 * to be allowed here: an anonymous caller learns nothing, not even that its JSON is bad.
 */
function mountRoutes(deps: AppDeps, routes: readonly AnyRoute[]): Router {
  const router = new Router();
  const hubspot = hubspotSignatureAuth(deps.config, deps.logger);
  for (const route of routes) {
    router[route.method](
      route.path,
      ...ownSubOnly(route),
      requireJsonBody(),
      parseJsonBody,
      ...(route.auth === 'hubspot_signature' ? [hubspot] : []),
      async (ctx) => {
        await route.handler(ctx, parseInput(route, ctx), deps);
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
  app.use(underPrefix('/internal', apiKeyAuth(deps.config.INTERNAL_API_KEYS)));
  for (const middleware of bullBoard(deps.config, deps.queues)) app.use(middleware);
  app.use(router.routes());
  app.use(
    router.allowedMethods({
      throw: true,
      methodNotAllowed: () =>
        new AppError(405, 'method_not_allowed', 'This method is not allowed on this path'),
      notImplemented: () => new AppError(405, 'method_not_allowed', 'This method is not supported'),
    }),
  );
  return app;
}

import type { AnyRoute } from '../../../src/api/route.js';
import { DOCS_PAGE } from '../../../src/api/openapi/swagger-ui.js';
import { tokenFor, type TestApp } from '../app.js';
import { TEST_HUBSPOT_SECRET, TEST_INTERNAL_KEYS } from '../config.js';
import { signHubSpotRequest } from '../hubspot-signer.js';
import { collectionOf, type World } from './world.js';

/** The names of a route's path parameters, in order. */
export function paramNames(route: AnyRoute): string[] {
  return [...route.path.matchAll(/:(\w+)/g)].map((match) => match[1]!);
}

/** The route's path with each parameter replaced by an (already encoded) segment. */
export function fillPath(route: AnyRoute, segments: Record<string, string>): string {
  return route.path.replace(/:(\w+)/g, (_match, name: string) => {
    const segment = segments[name];
    if (segment === undefined) throw new Error(`no value for :${name} of ${route.path}`);
    return segment;
  });
}

/** Documentation assets the docs page links to (the names `/docs/assets/:name` serves). */
export const DOCS_ASSETS = [...DOCS_PAGE.matchAll(/\/docs\/assets\/([^"]+)"/g)].map((match) => match[1]!);

/**
 * Values that name something that exists in `world`, per path parameter: the world's
 * own sub, its objects' ids, its email, a dentist of the directory, a docs asset.
 * Undefined for a parameter nobody has taught this function (the fuzz still fills it).
 */
export function existingValues(route: AnyRoute, name: string, world: World): string[] | undefined {
  if (name === 'cognito_sub') return [world.user.cognito_sub];
  if (name === 'email') return [encodeURIComponent(world.user.email), world.user.email];
  if (name === 'dentist_id') return world.dentistIds.map(String);
  if (name === 'name' && route.path.startsWith('/docs/')) return DOCS_ASSETS;
  const ids = world.ids[collectionOf(route.path, name) ?? ''];
  return ids && ids.length > 0 ? ids : undefined;
}

/** A segment for each path parameter naming things of `world`; a parameter nobody knows gets a plausible value. */
export function validSegments(route: AnyRoute, world: World): Record<string, string> {
  return Object.fromEntries(
    paramNames(route).map((name) => [
      name,
      existingValues(route, name, world)?.[0] ?? '00000000-0000-4000-8000-000000000000',
    ]),
  );
}

/** The route's path naming things of `world`. */
export function validPath(route: AnyRoute, world: World): string {
  return fillPath(route, validSegments(route, world));
}

/**
 * Headers that authenticate a request to `route` as its scheme wants: a bearer token
 * for `sub`, an internal key, or a HubSpot signature of this very method, URL and body.
 */
export async function authHeaders(
  app: TestApp,
  route: AnyRoute,
  request: { method: string; path: string; body?: string | Buffer; sub: string },
): Promise<Record<string, string>> {
  switch (route.auth) {
    case 'jwt':
      return { authorization: `Bearer ${await tokenFor(request.sub)}` };
    case 'api_key':
      return { 'x-api-key': TEST_INTERNAL_KEYS[0] };
    case 'hubspot_signature':
      return signHubSpotRequest({
        secret: TEST_HUBSPOT_SECRET,
        method: request.method,
        uri: `${app.url}${request.path}`,
        body: request.body === undefined ? '' : request.body.toString('utf8'),
      });
    case 'none':
      return {};
  }
}

/** `1mb`, `512kb`, `100b` (koa-bodyparser's notation for its limits) in bytes. */
export function bytesOf(limit: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(limit.trim());
  if (!match) throw new Error(`cannot read the limit ${limit}`);
  const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(match[2] ?? 'b').toLowerCase() as 'b'];
  return Math.floor(Number(match[1]) * unit);
}

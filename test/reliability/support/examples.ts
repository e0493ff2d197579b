import fc from 'fast-check';
import type { AnyRoute } from '../../../src/api/route.js';
import { SchemaArbitraries, jsonSchemaOf, type Hints } from './arbitraries.js';
import type { World } from './world.js';

export function hintsFor(world: () => World): Hints {
  return {
    emails: () => [world().user.email],
    ids: (collection) =>
      (collection ? world().ids[collection] : undefined) ?? Object.values(world().ids).flat(),
    dentistIds: () => world().dentistIds,
  };
}

/**
 * A body the route's schema accepts (refinements included), found among values
 * generated from it with a fixed seed; undefined for a route without a body schema.
 * A schema nothing generated passes is a test defect, and says so.
 */
export function exampleBody(route: AnyRoute, world: World): unknown {
  if (!route.body) return undefined;
  const arbitraries = new SchemaArbitraries(
    jsonSchemaOf(route.body),
    hintsFor(() => world),
  );
  const samples = fc.sample(arbitraries.valid(jsonSchemaOf(route.body)), { numRuns: 300, seed: 20261128 });
  const example = samples.find((sample) => route.body!.safeParse(sample).success);
  if (example === undefined)
    throw new Error(`no generated body passes the schema of ${route.method.toUpperCase()} ${route.path}`);
  return example;
}

import fc from 'fast-check';
import type { ZodType } from 'zod';
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

function exampleOf(schema: ZodType, part: string, route: AnyRoute, world: World): unknown {
  const json = jsonSchemaOf(schema);
  const arbitraries = new SchemaArbitraries(
    json,
    hintsFor(() => world),
  );
  const samples = fc.sample(arbitraries.valid(json), { numRuns: 300, seed: 20261128 });
  const example = samples.find((sample) => schema.safeParse(sample).success);
  if (example === undefined)
    throw new Error(`no generated ${part} passes the schema of ${route.method.toUpperCase()} ${route.path}`);
  return example;
}

/**
 * A body the route's schema accepts (refinements included), found among values
 * generated from it with a fixed seed; undefined for a route without a body schema.
 * A schema nothing generated passes is a test defect, and says so.
 */
export function exampleBody(route: AnyRoute, world: World): unknown {
  return route.body ? exampleOf(route.body, 'body', route, world) : undefined;
}

/**
 * A query string (without `?`) the route's query schema accepts, the same way, with its
 * required parameters only: an optional one (a cursor) may need more than its schema
 * says to be accepted. '' for a route without a query schema.
 */
export function exampleQuery(route: AnyRoute, world: World): string {
  if (!route.query) return '';
  const example = exampleOf(route.query, 'query', route, world) as Record<string, unknown>;
  const required = new Set(jsonSchemaOf(route.query).required ?? []);
  return new URLSearchParams(
    Object.fromEntries(
      Object.entries(example)
        .filter(([name]) => required.has(name))
        .map(([name, value]) => [name, String(value)]),
    ),
  ).toString();
}

/**
 * Names a statement so that node-postgres prepares it once per connection and from
 * then on only binds and executes it: Postgres no longer parses and plans it on every
 * request, which was more than half of its CPU for the hot reads (decision record 007).
 *
 * Only for statements whose text never changes (every value a binding: pg refuses one
 * name for two texts) and that name their columns: a prepared `select *` fails with
 * "cached plan must not change result type" once a migration adds a column, which a
 * rolling deploy does while the old version still serves (test/integration/ops/
 * query-plans.test.ts adds columns under the running hot paths).
 */
export function prepared<Query extends { options(options: Readonly<Record<string, unknown>>): Query }>(
  name: string,
  query: Query,
): Query {
  return query.options({ name });
}

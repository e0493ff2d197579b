import type { Knex } from 'knex';
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

/** A parameter's stand-in while a template is compiled: a binding no caller can send. */
const PARAMETER = '\u0000parameter:';

/**
 * A prepared statement built with knex's query builder but compiled by it only once:
 * compiling a query of several subselects costs more Node CPU than Postgres spends
 * executing it (bench: get-wear-stats-90d, about 0.1 ms a request). `build` receives a
 * function that stands for each named parameter; the SQL text and the positions of the
 * parameters among the bindings are kept, and each call only fills in the values.
 * Compiled on first use with the caller's knex (one dialect per process).
 */
export function preparedTemplate<Params extends Record<string, unknown>>(
  name: string,
  build: (knex: Knex, parameter: (key: keyof Params & string) => Knex.Raw) => Knex.QueryBuilder | Knex.Raw,
): (knex: Knex, params: Params) => Knex.Raw {
  let compiled: { sql: string; bindings: readonly unknown[] } | undefined;
  return (knex, params) => {
    compiled ??= (() => {
      const { sql, bindings } = build(knex, (key) => knex.raw('?', [PARAMETER + key])).toSQL();
      return { sql, bindings };
    })();
    const values = compiled.bindings.map((binding) =>
      typeof binding === 'string' && binding.startsWith(PARAMETER)
        ? params[binding.slice(PARAMETER.length)]
        : binding,
    );
    return prepared(name, knex.raw(compiled.sql, values as Knex.RawBinding[]));
  };
}

import type { Knex } from 'knex';

/**
 * Knex's own bookkeeping: not application data, and no request may touch it anyway.
 * Every other table of the public schema is fingerprinted, so a table added later is
 * covered without anyone remembering to list it here.
 */
const NOT_APPLICATION_DATA = new Set(['knex_migrations', 'knex_migrations_lock']);

export type Snapshot = Map<string, string>;

async function applicationTables(knex: Knex): Promise<string[]> {
  const rows = (await knex('information_schema.tables')
    .where({ table_schema: 'public', table_type: 'BASE TABLE' })
    .orderBy('table_name')
    .pluck('table_name')) as string[];
  return rows.filter((name) => !NOT_APPLICATION_DATA.has(name));
}

/** A fingerprint of every row of every application table, one query for all of them. */
export async function databaseSnapshotter(knex: Knex): Promise<() => Promise<Snapshot>> {
  const tables = await applicationTables(knex);
  if (tables.length === 0) throw new Error('no application tables found');
  const sql = tables
    .map(
      (table) =>
        `select '${table}' as name, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as digest from "${table}" t`,
    )
    .join(' union all ');
  return async () => {
    const { rows } = (await knex.raw(sql)) as { rows: Array<{ name: string; digest: string }> };
    return new Map(rows.map((row) => [row.name, row.digest]));
  };
}

/** The tables whose rows differ between two snapshots. */
export function changedTables(before: Snapshot, after: Snapshot): string[] {
  return [...before.keys()].filter((name) => before.get(name) !== after.get(name));
}

import pg from 'pg';

/** Where tests create their databases: the local Postgres (trust auth), overridable. */
export const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** This run's template, named by global-setup.ts (several runs may share one Postgres). */
export const TEMPLATE_DATABASE = process.env.TEST_TEMPLATE_DATABASE ?? 'aligner_test_template';
export const TEST_DATABASE_PREFIX = 'aligner_test_';

/**
 * `aligner_test_<epoch seconds>_<what>`: the creation time in the name lets a later run
 * drop what a crashed run left, without touching databases of a run still going.
 */
export function testDatabaseName(what: string): string {
  return `${TEST_DATABASE_PREFIX}${Math.floor(Date.now() / 1000)}_${what}`;
}

export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withAdminClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

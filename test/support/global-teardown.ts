// Loaded outside jest's module mapper, like global-setup.ts: packages only.
import pg from 'pg';

/** Drops this run's template database (each test file drops its own clone). */
export default async function globalTeardown(): Promise<void> {
  const template = process.env.TEST_TEMPLATE_DATABASE;
  if (!template) return;
  const client = new pg.Client({
    connectionString: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  });
  await client.connect();
  try {
    await client.query(`drop database if exists ${client.escapeIdentifier(template)} with (force)`);
  } finally {
    await client.end();
  }
}

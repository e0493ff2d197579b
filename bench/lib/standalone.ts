import pg from 'pg';

/** `--name value` from the command line as a number, or the fallback. */
export function numberArgument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

/** A fresh, empty database for one benchmark (its name must say it is a bench database). */
export async function recreateDatabase(postgresUrl: string, name: string): Promise<void> {
  if (!/^aligner_bench_[a-z_]+$/.test(name))
    throw new Error(`refusing to recreate ${name}: not a bench database`);
  const admin = new pg.Client({ connectionString: `${postgresUrl}/postgres` });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
}

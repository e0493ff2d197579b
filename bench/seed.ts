/**
 * The data generator: N users, each with a profile, settings, an active treatment and
 * `days` days of ended out-of-mouth sessions (`sessionsPerDay` a day on average, 20–60
 * minutes, never overlapping) in a mix of zones, including a half-hour one and both
 * hemispheres' DST. Deterministic for a given seed. Rows go in with multi-row
 * `insert … select from unnest($1::…[], …)` statements of `batchRows` rows: one round
 * trip and one parse per batch.
 *
 *   tsx bench/seed.ts [--database-url URL] [--users 10000] [--days 90] [--sessions-per-day 1.13] [--seed 1]
 *
 * It empties users (and, by cascade, everything hanging off them) first, so it only
 * runs against a database whose name contains "bench".
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DateTime } from 'luxon';
import pg from 'pg';
import type { BenchUser } from './request-plans.js';
import { pick, randomInt, seededRandom, seededUuid, type Random } from './lib/random.js';
import { createKnex } from '../src/shared/db/knex.js';
import { rebuildRollups } from '../src/wear/rollup-rebuild.js';
import { loadConfig } from '../src/shared/config.js';

export const BENCH_ZONES = ['Europe/London', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata'] as const;
const REASONS = ['meal', 'meal', 'meal', 'drink', 'cleaning', 'other'] as const;

export interface SeedOptions {
  users: number;
  /** Days of history up to and including today (local), each with sessions. */
  days: number;
  /** Average sessions a day; a fraction means some days get one more (e.g. 1.11). */
  sessionsPerDay: number;
  seed: number;
  batchRows: number;
  /** Batches in flight at once, one connection each. */
  concurrency: number;
  now?: Date;
}

/** Issue 10's data set: 10,000 users × 90 days × 1.13 sessions a day: just over 1,000,000 wear sessions whatever the time of day (sessions not ended yet are left out). */
export const DEFAULT_SEED_OPTIONS: SeedOptions = {
  users: 10_000,
  days: 90,
  sessionsPerDay: 1.13,
  seed: 1,
  batchRows: 20_000,
  concurrency: 2,
};

export interface SeedResult {
  users: BenchUser[];
  sessions: number;
  seconds: number;
}

/** Sessions fall in waking hours, 06:00–23:00 local, one per equal slot of that window. */
const DAY_WINDOW_START_MINUTES = 6 * 60;
const DAY_WINDOW_MINUTES = 17 * 60;

interface SessionColumns {
  id: string[];
  user_id: string[];
  started_at: string[];
  ended_at: string[];
  reason: string[];
}

const emptySessions = (): SessionColumns => ({
  id: [],
  user_id: [],
  started_at: [],
  ended_at: [],
  reason: [],
});

function assertBenchDatabase(client: pg.PoolClient): void {
  const name = (client as pg.PoolClient & { database?: string }).database ?? '';
  if (!name.includes('bench')) throw new Error(`refusing to seed "${name}": not a bench database`);
}

/** Local midnight of each date in each zone, as epoch ms: 4 zones × days lookups, not one per row. */
function midnights(zones: readonly string[], days: number, now: DateTime): Map<string, number[]> {
  const byZone = new Map<string, number[]>();
  for (const zone of zones) {
    const today = now.setZone(zone).startOf('day');
    const list: number[] = [];
    for (let offset = days - 1; offset >= 0; offset -= 1) list.push(today.minus({ days: offset }).toMillis());
    byZone.set(zone, list);
  }
  return byZone;
}

function sessionsOfDay(random: Random, sessionsPerDay: number): number {
  const whole = Math.floor(sessionsPerDay);
  return whole + (random() < sessionsPerDay - whole ? 1 : 0);
}

/** Appends one user's sessions; slots keep them apart, so they never overlap (even across DST days). */
function addSessions(
  columns: SessionColumns,
  random: Random,
  userId: string,
  dayStarts: readonly number[],
  options: SeedOptions,
  nowMs: number,
): number {
  let added = 0;
  for (const dayStart of dayStarts) {
    const count = sessionsOfDay(random, options.sessionsPerDay);
    if (count === 0) continue;
    const slot = DAY_WINDOW_MINUTES / count;
    for (let index = 0; index < count; index += 1) {
      const minutes = Math.min(randomInt(random, 20, 60), Math.floor(slot) - 1);
      const offset = DAY_WINDOW_START_MINUTES + index * slot + random() * (slot - minutes);
      const startedAt = dayStart + Math.floor(offset * 60_000);
      const endedAt = startedAt + minutes * 60_000;
      if (endedAt > nowMs) continue; // ended sessions only, never in the future
      columns.id.push(seededUuid(random));
      columns.user_id.push(userId);
      columns.started_at.push(new Date(startedAt).toISOString());
      columns.ended_at.push(new Date(endedAt).toISOString());
      columns.reason.push(pick(random, REASONS));
      added += 1;
    }
  }
  return added;
}

async function insertSessions(client: pg.PoolClient, columns: SessionColumns): Promise<void> {
  if (columns.id.length === 0) return;
  await client.query(
    `insert into wear_sessions (id, user_id, started_at, ended_at, reason)
     select * from unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::timestamptz[], $5::text[])`,
    [columns.id, columns.user_id, columns.started_at, columns.ended_at, columns.reason],
  );
}

interface UserRow {
  id: string;
  sub: string;
  zone: string;
  email: string;
  total: number;
  current: number;
  interval: number;
  startedOn: string;
  currentStartedOn: string;
  /** Their app silent for the last 9 days (no contact days). */
  silentLately: boolean;
}

function makeUser(random: Random, index: number, options: SeedOptions, now: DateTime): UserRow {
  const zone = BENCH_ZONES[index % BENCH_ZONES.length]!;
  const interval = pick(random, [7, 10, 14]);
  const started = now
    .setZone(zone)
    .startOf('day')
    .minus({ days: options.days - 1 });
  const current = Math.floor((options.days - 1) / interval) + 1;
  const total = Math.max(current + 1, randomInt(random, 20, 40));
  return {
    id: seededUuid(random),
    sub: seededUuid(random),
    zone,
    email: `bench-${String(index).padStart(6, '0')}@example.test`,
    total,
    current,
    interval,
    startedOn: started.toISODate()!,
    currentStartedOn: started.plus({ days: (current - 1) * interval }).toISODate()!,
    // From the index, not the random stream: the sessions stay those of earlier seeds.
    silentLately: index % 20 === 19,
  };
}

async function insertUsers(client: pg.PoolClient, users: readonly UserRow[]): Promise<void> {
  const column = <K extends keyof UserRow>(key: K) => users.map((user) => user[key]);
  await client.query(
    // Registered when their treatment began (local midnight), so every seeded day is tracked.
    `insert into users (id, cognito_sub, email, first_name, last_name, timezone, locale, created_at)
     select id, sub, email, 'Bench', 'User', zone, 'en', started_on::timestamp at time zone zone
       from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::date[])
         as u(id, sub, email, zone, started_on)`,
    [column('id'), column('sub'), column('email'), column('zone'), column('startedOn')],
  );
  // A faithful user's app talks to the service every day: every day is confirmed. One
  // in 20 has been silent for the last 9 days (the at-risk list has them first).
  await client.query(
    `insert into app_contact_days (user_id, day)
     select u.id, d::date
       from unnest($1::uuid[], $2::date[], $3::boolean[]) as u(id, started_on, silent),
            generate_series(u.started_on, current_date + case when u.silent then -9 else 1 end, interval '1 day') d`,
    [column('id'), column('startedOn'), column('silentLately')],
  );
  await client.query(
    `insert into treatments (user_id, status, total_aligners, current_aligner, change_interval_days,
                             started_on, current_aligner_started_on)
     select user_id, 'active', total, current, interval, started_on, current_started_on
       from unnest($1::uuid[], $2::int[], $3::int[], $4::int[], $5::date[], $6::date[])
         as t(user_id, total, current, interval, started_on, current_started_on)`,
    [
      column('id'),
      column('total'),
      column('current'),
      column('interval'),
      column('startedOn'),
      column('currentStartedOn'),
    ],
  );
  await client.query('insert into user_settings (user_id) select unnest($1::uuid[])', [column('id')]);
  // The progress reminder of every aligner change so far (09:00 local; withdrawn when the
  // change was logged, as the replanning does) and the next one, scheduled: what GET
  // /notifications lists for a user this far into treatment.
  await client.query(
    `insert into reminders (user_id, type, send_after, status, status_reason, onesignal_id, attempts,
                            aligner_number, schedule_sent_at, created_at, updated_at)
     select u.id, 'progress', due,
            case when n > u.current then 'scheduled' else 'cancelled' end,
            case when n > u.current then null else 'replanned' end,
            'bench-' || u.id || '-' || n, 1, n,
            due - interval '14 days', due - interval '14 days', due - interval '14 days'
       from unnest($1::uuid[], $2::text[], $3::date[], $4::int[], $5::int[])
              as u(id, zone, started_on, current, interval_days),
            generate_series(2, u.current + 1) n,
            lateral (select ((u.started_on + (n - 1) * u.interval_days) + time '09:00')
                              at time zone u.zone as due) d`,
    [column('id'), column('zone'), column('startedOn'), column('current'), column('interval')],
  );
}

/**
 * Empties the bench tables, loads the data set, then VACUUM ANALYZE as autovacuum would
 * in time. `concurrency` batches are in flight at once (one per connection), so the
 * next batch is generated while Postgres indexes the previous ones: most of the cost
 * is Postgres's (the no-overlap GiST index, the foreign key check), on both cores.
 */
export async function seedDatabase(databaseUrl: string, options: SeedOptions): Promise<SeedResult> {
  const started = performance.now();
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.concurrency });
  // Bench data only: a crash mid-seed means seeding again, so no fsync wait per batch.
  pool.on('connect', (client) => void client.query('set synchronous_commit = off'));
  try {
    const first = await pool.connect();
    try {
      assertBenchDatabase(first);
      await first.query('truncate users cascade');
    } finally {
      first.release();
    }
    const now = DateTime.fromJSDate(options.now ?? new Date());
    const random = seededRandom(options.seed);
    const dayStarts = midnights(BENCH_ZONES, options.days, now);
    const users: BenchUser[] = [];
    const inFlight = new Set<Promise<void>>();
    let sessions = 0;
    let pendingUsers: UserRow[] = [];
    let pending = emptySessions();
    const flush = async () => {
      const batch = { users: pendingUsers, sessions: pending };
      pendingUsers = [];
      pending = emptySessions();
      const insert = (async () => {
        const client = await pool.connect();
        try {
          await insertUsers(client, batch.users); // first: the sessions' foreign key needs them
          await insertSessions(client, batch.sessions);
        } finally {
          client.release();
        }
      })();
      inFlight.add(insert);
      void insert.finally(() => inFlight.delete(insert)).catch(() => undefined);
      if (inFlight.size >= options.concurrency) await Promise.race(inFlight);
    };
    for (let index = 0; index < options.users; index += 1) {
      const user = makeUser(random, index, options, now);
      pendingUsers.push(user);
      users.push({ sub: user.sub, zone: user.zone });
      sessions += addSessions(pending, random, user.id, dayStarts.get(user.zone)!, options, now.toMillis());
      if (pending.id.length >= options.batchRows) await flush();
    }
    if (pendingUsers.length > 0) await flush();
    await Promise.all(inFlight);
    // The daily rollup and the adherence windows as the worker keeps them, built the way
    // the rebuild command builds them.
    const knex = createKnex(databaseUrl, { max: 5 });
    try {
      await rebuildRollups(knex, loadConfig({}).WEAR_SILENT_DAYS_ALLOWED, { concurrency: 4 });
    } finally {
      await knex.destroy();
    }
    await pool.query(
      'vacuum analyze users, treatments, user_settings, wear_sessions, app_contact_days, wear_daily_rollups, wear_rollup_states, adherence_windows',
    );
    return { users, sessions, seconds: (performance.now() - started) / 1000 };
  } finally {
    await pool.end();
  }
}

/** The users already in a seeded database, for a run that reuses it (--skip-seed). */
export async function loadBenchUsers(databaseUrl: string): Promise<BenchUser[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<BenchUser>(
      'select cognito_sub as sub, timezone as zone from users where deleted_at is null order by cognito_sub',
    );
    return rows;
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/aligner_bench' },
      users: { type: 'string', default: String(DEFAULT_SEED_OPTIONS.users) },
      days: { type: 'string', default: String(DEFAULT_SEED_OPTIONS.days) },
      'sessions-per-day': { type: 'string', default: String(DEFAULT_SEED_OPTIONS.sessionsPerDay) },
      seed: { type: 'string', default: String(DEFAULT_SEED_OPTIONS.seed) },
      'batch-rows': { type: 'string', default: String(DEFAULT_SEED_OPTIONS.batchRows) },
      concurrency: { type: 'string', default: String(DEFAULT_SEED_OPTIONS.concurrency) },
    },
  });
  const result = await seedDatabase(values['database-url'], {
    users: Number(values.users),
    days: Number(values.days),
    sessionsPerDay: Number(values['sessions-per-day']),
    seed: Number(values.seed),
    batchRows: Number(values['batch-rows']),
    concurrency: Number(values.concurrency),
  });
  console.log(
    `seeded ${result.users.length} users and ${result.sessions} wear sessions in ${result.seconds.toFixed(1)} s`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

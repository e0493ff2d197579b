import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import pg from 'pg';
import { developmentToken } from '../../src/dev/development-token.js';
import { REDIS_URL } from './redis.js';

// Helpers shared by the end-to-end reliability tests: calls to an API process as a
// user or as Jarvis, the rows behind them, and what BullMQ recorded.

export interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by the tests
  body: any;
}

export async function callApi(
  base: string,
  method: string,
  path: string,
  options: { json?: unknown; token?: string; apiKey?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...options.headers,
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.apiKey ? { 'x-api-key': options.apiKey } : {}),
      ...(options.json !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(options.json !== undefined ? { body: JSON.stringify(options.json) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

export interface E2eUser {
  sub: string;
  email: string;
  token: string;
  /** `/auth/users/{sub}` */
  path: string;
}

export const ZONE = 'Europe/London';

/** A user with a profile and (unless `treatment: false`) an active treatment whose next change is in 4 days. */
export async function createUser(
  base: string,
  sub: string,
  options: { treatment?: boolean } = {},
): Promise<E2eUser> {
  const user = {
    sub,
    email: `${sub}@example.com`,
    token: await developmentToken(sub),
    path: `/auth/users/${sub}`,
  };
  const profile = await callApi(base, 'PUT', user.path, {
    token: user.token,
    json: { email: user.email, timezone: ZONE },
  });
  if (profile.status !== 201) throw new Error(`profile: ${profile.status} ${JSON.stringify(profile.body)}`);
  if (options.treatment ?? true) {
    const today = DateTime.now().setZone(ZONE).startOf('day');
    const treatment = await callApi(base, 'PUT', `${user.path}/treatment`, {
      token: user.token,
      json: {
        total_aligners: 20,
        current_aligner: 3,
        change_interval_days: 14,
        started_on: today.minus({ days: 40 }).toISODate(),
        current_aligner_started_on: today.minus({ days: 10 }).toISODate(),
      },
    });
    if (treatment.status !== 201)
      throw new Error(`treatment: ${treatment.status} ${JSON.stringify(treatment.body)}`);
  }
  return user;
}

/** Rows of the stack's database, read directly (the tests check final states there). */
export async function query<T extends pg.QueryResultRow>(
  databaseUrl: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** The ids of the jobs BullMQ reported stalled on a queue (from its events stream). */
export async function stalledJobIds(prefix: string, queue: string): Promise<string[]> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    const entries = await redis.xrange(`${prefix}:${queue}:events`, '-', '+');
    return entries
      .map(([, fields]) => Object.fromEntries(pairs(fields)))
      .filter((event) => event.event === 'stalled')
      .map((event) => String(event.jobId));
  } finally {
    redis.disconnect();
  }
}

function pairs(fields: string[]): Array<[string, string]> {
  const result: Array<[string, string]> = [];
  for (let i = 0; i + 1 < fields.length; i += 2) result.push([fields[i]!, fields[i + 1]!]);
  return result;
}

/** How many times each value occurs. */
export function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

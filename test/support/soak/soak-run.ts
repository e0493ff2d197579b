/**
 * A bounded soak (issue 9): mixed traffic at a fixed rate through the real API and
 * worker processes, against OneSignal and Jarvis stand-ins that inject faults; then a
 * reconciliation of every acknowledged (2xx) request against Postgres and the stubs,
 * and the resident memory of both processes over the run. Used by
 * `test/soak/soak.test.ts` (SOAK_SECONDS, default 90) and `npm run soak -- --seconds 600`.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DateTime } from 'luxon';
import pg from 'pg';
import { pick, randomInt, seededRandom, type Random } from '../../../bench/lib/random.js';
import { developmentToken } from '../../../src/dev/development-token.js';
import { hubspotSignatureV3 } from '../../../src/hubspot/signature.js';
import { awaitingHandOver } from '../sweeper.js';
import type { FaultCounts, FaultPlan, FaultyJarvis, FaultyOneSignal } from './fault-stubs.js';

/**
 * Faults the stubs inject. A call faults with 8 % probability (5 % a 500, 3 % a 429
 * with Retry-After 1 s), at most twice per notification or dentist change, so every
 * job ends within a few backoff steps (2 s, 4 s); 5 % of answers are slow (1.5 s,
 * well inside the clients' 10 s timeout).
 */
export const SOAK_FAULTS: Omit<FaultPlan, 'seed'> = {
  errorRate: 0.05,
  rateLimitRate: 0.03,
  slowRate: 0.05,
  slowMs: 1500,
  retryAfterSeconds: 1,
  maxFaultsPerKey: 2,
};

export const SOAK_KEYS = {
  internal: 'soak-internal-key',
  onesignal: 'soak-onesignal-key',
  jarvis: 'soak-jarvis-key',
  hubspot: 'soak-hubspot-secret',
  onesignalApp: 'soak-app',
};

/** The integration settings of both processes, pointing at the stubs. */
export function soakEnv(onesignalUrl: string, jarvisUrl: string): Record<string, string> {
  return {
    INTERNAL_API_KEYS: SOAK_KEYS.internal,
    HUBSPOT_CLIENT_SECRET: SOAK_KEYS.hubspot,
    ONESIGNAL_APP_ID: SOAK_KEYS.onesignalApp,
    ONESIGNAL_REST_API_KEY: SOAK_KEYS.onesignal,
    ONESIGNAL_API_URL: onesignalUrl,
    JARVIS_API_URL: jarvisUrl,
    JARVIS_API_KEY: SOAK_KEYS.jarvis,
  };
}

export interface SoakTarget {
  apiUrl: string;
  /** The worker's health/metrics server. */
  workerUrl: string;
  databaseUrl: string;
  pids: { api: number; worker: number };
  onesignal: FaultyOneSignal;
  jarvis: FaultyJarvis;
}

export interface SoakOptions {
  seconds: number;
  /** Requests per second, open loop (a slow answer does not slow the sending). */
  rate: number;
  users: number;
  seed: number;
  /** Longest wait for the worker to finish after the traffic stops. */
  drainSeconds: number;
  progress?: (line: string) => void;
}

export interface RssSummary {
  samples: number;
  start_mib: number;
  /** Median over the window just after warm-up (see rssSummary). */
  after_warmup_median_mib: number;
  /** Median over the last third of the run. */
  last_third_median_mib: number;
  end_mib: number;
  max_mib: number;
  ratio: number;
  /** Least-squares slope after warm-up, MiB per minute. */
  slope_mib_per_min: number;
}

export interface SoakReport {
  started_at: string;
  machine: { cpus: number; model: string; memory_gib: number; node: string };
  settings: { seconds: number; rate: number; users: number; seed: number; faults: typeof SOAK_FAULTS };
  duration_s: number;
  drain_s: number;
  requests: {
    sent: number;
    acknowledged: number;
    unexpected: number;
    achieved_rate: number;
    by_operation: Record<string, { sent: number; acknowledged: number }>;
    latency_ms: { p50: number; p95: number; p99: number; max: number };
  };
  jobs: { attempts: number; by_outcome: Record<string, number>; by_job: Record<string, number> };
  faults: { onesignal: FaultCounts; jarvis: FaultCounts; injected: number };
  reconciliation: {
    checked: Record<string, number>;
    lost: number;
    problems: string[];
  };
  rss: {
    api: RssSummary;
    worker: RssSummary;
    criterion: string;
    flat: boolean;
    /** Every 5th sample (about every 5 s): [seconds into the traffic, api MiB, worker MiB]. */
    series: Array<[number, number, number]>;
  };
  unexpected_samples: string[];
}

/** RSS may grow by this factor at most between warm-up and the last third (see rssSummary). */
export const RSS_MAX_RATIO = 1.3;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are read field by field
type Json = any;

interface SoakUser {
  sub: string;
  email: string;
  token: string;
  zone: string;
  contactId: number;
  busy: boolean;
  interval: number;
  total: number;
  current: number;
  reminderTime: string;
  openSession?: { id: string; startedAt: number };
  openRequest?: { id: string; dentistId: number };
  dentistId: number | null;
  alignerChanges: number;
}

const ZONES = ['Europe/London', 'America/New_York', 'Asia/Kolkata', 'Australia/Sydney'];
const DENTISTS = [101, 102, 103, 104, 105, 106];

const median = (values: number[]) => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function residentMiB(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why this criterion: a Node process's RSS climbs for a while after start (JIT code,
 * connection pools, V8 sizing its heap to the load), then saw-tooths with GC. So the
 * warm-up (the first 30 s or 20 % of the run, whichever is longer, at most 40 %) is
 * left out, and medians of windows are compared rather than single samples, which a GC
 * cycle can move by tens of MiB either way. A leak proportional to traffic shows as the
 * last third's median rising above the median just after warm-up (the next 20 % of the
 * run); 1.3× leaves room for V8 growing its old space a step, which a steady process
 * does, while a leak of a few KiB per request crosses it on a long run. The slope
 * after warm-up is reported beside it, for reading long runs.
 */
export function rssSummary(samples: Array<{ t: number; mib: number }>, durationMs: number): RssSummary {
  const warmupMs = Math.min(Math.max(30_000, 0.2 * durationMs), 0.4 * durationMs);
  const between = (from: number, to: number) =>
    samples.filter((sample) => sample.t >= from && sample.t < to).map((s) => s.mib);
  const warm = between(warmupMs, warmupMs + 0.2 * durationMs);
  const last = between((2 / 3) * durationMs, Infinity);
  const afterWarmup = samples.filter((sample) => sample.t >= warmupMs);
  const n = afterWarmup.length;
  const meanT = afterWarmup.reduce((sum, s) => sum + s.t, 0) / Math.max(n, 1);
  const meanM = afterWarmup.reduce((sum, s) => sum + s.mib, 0) / Math.max(n, 1);
  const covariance = afterWarmup.reduce((sum, s) => sum + (s.t - meanT) * (s.mib - meanM), 0);
  const variance = afterWarmup.reduce((sum, s) => sum + (s.t - meanT) ** 2, 0);
  const warmMedian = median(warm);
  const lastMedian = median(last);
  return {
    samples: samples.length,
    start_mib: round(samples[0]?.mib ?? 0),
    after_warmup_median_mib: round(warmMedian),
    last_third_median_mib: round(lastMedian),
    end_mib: round(samples.at(-1)?.mib ?? 0),
    max_mib: round(Math.max(0, ...samples.map((s) => s.mib))),
    ratio: warmMedian > 0 ? round(lastMedian / warmMedian, 3) : 0,
    slope_mib_per_min: variance > 0 ? round((covariance / variance) * 60_000, 2) : 0,
  };
}

class Traffic {
  readonly byOperation: Record<string, { sent: number; acknowledged: number }> = {};
  readonly latencies: number[] = [];
  readonly unexpected: string[] = [];
  sent = 0;
  acknowledged = 0;

  constructor(private readonly apiUrl: string) {}

  async request(
    operation: string,
    method: string,
    urlPath: string,
    options: { token?: string; internal?: boolean; json?: unknown; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: Json }> {
    const counts = (this.byOperation[operation] ??= { sent: 0, acknowledged: 0 });
    counts.sent += 1;
    this.sent += 1;
    const started = performance.now();
    let status = 0;
    let body: Json;
    try {
      const response = await fetch(`${this.apiUrl}${urlPath}`, {
        method,
        headers: {
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(options.internal ? { 'x-api-key': SOAK_KEYS.internal } : {}),
          ...(options.json !== undefined ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
        ...(options.json !== undefined
          ? { body: typeof options.json === 'string' ? options.json : JSON.stringify(options.json) }
          : {}),
        signal: AbortSignal.timeout(30_000),
      });
      status = response.status;
      const text = await response.text();
      body = text ? (JSON.parse(text) as Json) : undefined;
    } catch (error) {
      body = { error: (error as Error).message };
    }
    this.latencies.push(performance.now() - started);
    if (status >= 200 && status < 300) {
      counts.acknowledged += 1;
      this.acknowledged += 1;
    } else {
      this.unexpected.push(
        `${operation} ${method} ${urlPath.replace(/\?.*/, '')} → ${status} ${JSON.stringify(body)}`,
      );
    }
    return { status, body };
  }
}

interface HubSpotSent {
  contactId: number;
  eventId: number;
  occurredAt: number;
  value: string;
}

/** What acknowledged requests promised: the reconciliation checks each against the final state. */
interface Ledger {
  wearStarted: Map<string, string>;
  wearEnded: Set<string>;
  dentistRequests: Map<string, { sub: string; dentistId: number; assigned: boolean }>;
  hubspot: HubSpotSent[];
}

export async function runSoak(target: SoakTarget, options: SoakOptions): Promise<SoakReport> {
  const db = new pg.Pool({ connectionString: target.databaseUrl, max: 2 });
  // An idle connection dropped under it (the database removed after a failure) is not news.
  db.on('error', () => undefined);
  try {
    return await soak(target, options, db);
  } finally {
    await db.end();
  }
}

async function soak(target: SoakTarget, options: SoakOptions, db: pg.Pool): Promise<SoakReport> {
  const say = options.progress ?? (() => undefined);
  const random: Random = seededRandom(options.seed);
  const traffic = new Traffic(target.apiUrl);
  const ledger: Ledger = {
    wearStarted: new Map(),
    wearEnded: new Set(),
    dentistRequests: new Map(),
    hubspot: [],
  };
  const startedAt = new Date();
  const runId = randomUUID().slice(0, 8);
  let eventCounter = 0;
  let lastOccurredAt = 0;
  /** HubSpot's occurredAt, strictly increasing, so the latest value sent is the one that must win. */
  const nextOccurredAt = () => (lastOccurredAt = Math.max(Date.now(), lastOccurredAt + 1));

  // Memory of both processes, once a second, from the very start.
  const rss: { api: Array<{ t: number; mib: number }>; worker: Array<{ t: number; mib: number }> } = {
    api: [],
    worker: [],
  };
  let trafficStart = Date.now();
  const sampleRss = () => {
    const t = Date.now() - trafficStart;
    const api = residentMiB(target.pids.api);
    const worker = residentMiB(target.pids.worker);
    if (api !== undefined) rss.api.push({ t, mib: api });
    if (worker !== undefined) rss.worker.push({ t, mib: worker });
  };

  // --- set-up: dentists, users with a treatment, HubSpot contacts linked by email ---
  for (const id of DENTISTS) {
    await traffic.request('setup', 'PUT', `/internal/dentists/${id}`, {
      internal: true,
      json: { name: `Dr Soak ${id}`, practice_name: 'Soak Dental', city: 'Bristol' },
    });
  }
  const users: SoakUser[] = [];
  for (let i = 0; i < options.users; i += 1) {
    const sub = `soak-${runId}-${i}`;
    const interval = pick(random, [7, 10, 14]);
    const user: SoakUser = {
      sub,
      email: `${sub}@soak.example`,
      token: await developmentToken(sub, { expiresInSeconds: options.seconds + options.drainSeconds + 3600 }),
      zone: ZONES[i % ZONES.length]!,
      contactId: 5_000_000 + i,
      busy: false,
      interval,
      total: 60,
      current: randomInt(random, 1, 10),
      reminderTime: '09:00',
      dentistId: null,
      alignerChanges: 0,
    };
    users.push(user);
    await traffic.request('setup', 'PUT', `/auth/users/${sub}`, {
      token: user.token,
      json: { email: user.email, first_name: 'Soak', last_name: `User ${i}`, timezone: user.zone },
    });
    const today = DateTime.now().setZone(user.zone).startOf('day');
    await traffic.request('setup', 'PUT', `/auth/users/${sub}/treatment`, {
      token: user.token,
      json: {
        total_aligners: user.total,
        current_aligner: user.current,
        change_interval_days: interval,
        started_on: today.minus({ days: 60 }).toISODate(),
        // The next change at least two days ahead: the progress reminder is always in the future.
        current_aligner_started_on: today.minus({ days: randomInt(random, 0, interval - 2) }).toISODate(),
      },
    });
  }
  const hubspotUrl = `${target.apiUrl}/public/hubspot/webhooks`;
  const postEvents = async (operation: string, events: unknown[]) => {
    const body = JSON.stringify(events);
    const timestamp = String(Date.now());
    return traffic.request(operation, 'POST', '/public/hubspot/webhooks', {
      json: body,
      headers: {
        'x-hubspot-request-timestamp': timestamp,
        'x-hubspot-signature-v3': hubspotSignatureV3(SOAK_KEYS.hubspot, 'POST', hubspotUrl, body, timestamp),
      },
    });
  };
  const event = (user: SoakUser, propertyName: string, value: string) => {
    eventCounter += 1;
    return {
      eventId: eventCounter,
      subscriptionId: 7,
      portalId: 77,
      appId: 777,
      occurredAt: nextOccurredAt(),
      subscriptionType: 'contact.propertyChange',
      attemptNumber: 0,
      objectId: user.contactId,
      propertyName,
      propertyValue: value,
      changeSource: 'CRM_UI',
    };
  };
  const linking = users.map((user) => event(user, 'email', user.email));
  for (let i = 0; i < linking.length; i += 100) await postEvents('setup', linking.slice(i, i + 100));
  const count = async (sql: string) => Number((await db.query<{ n: string }>(sql)).rows[0]!.n);
  for (
    let i = 0;
    i < 300 &&
    (await count(`select count(*) n from hubspot_contacts where user_id is not null`)) < users.length;
    i += 1
  )
    await sleep(200);
  say(
    `set-up done: ${users.length} users, ${DENTISTS.length} dentists; traffic for ${options.seconds} s at ${options.rate}/s`,
  );

  // --- operations: each is exactly one request for one idle user ---
  const base = (user: SoakUser) => `/auth/users/${user.sub}`;
  const operations: Array<{ weight: number; run: (user: SoakUser) => Promise<void> }> = [
    {
      weight: 28,
      run: async (user) => {
        const today = DateTime.now().setZone(user.zone).toISODate();
        const week = DateTime.now().setZone(user.zone).minus({ days: 6 }).toISODate();
        const [operation, urlPath] = pick(random, [
          ['read-treatment', `${base(user)}/treatment`],
          ['read-notifications', `${base(user)}/notifications`],
          ['read-wear-stats', `${base(user)}/wear-stats?from=${week}&to=${today}`],
          ['read-profile', base(user)],
          ['read-dentists', '/auth/dentists'],
        ] as const);
        await traffic.request(operation, 'GET', urlPath, { token: user.token });
      },
    },
    {
      weight: 22,
      run: async (user) => {
        if (user.openSession && Date.now() - user.openSession.startedAt >= 1000) {
          const { id } = user.openSession;
          const ended = await traffic.request('wear-end', 'PATCH', `${base(user)}/wear-sessions/${id}`, {
            token: user.token,
            json: { ended_at: new Date().toISOString() },
          });
          if (ended.status === 200) {
            ledger.wearEnded.add(id);
            user.openSession = undefined;
          }
        } else if (!user.openSession) {
          const id = randomUUID();
          const startedAt = Date.now();
          const started = await traffic.request('wear-start', 'POST', `${base(user)}/wear-sessions`, {
            token: user.token,
            json: { id, reason: pick(random, ['meal', 'drink', 'cleaning', 'other']) },
          });
          if (started.status === 201) {
            ledger.wearStarted.set(id, user.sub);
            user.openSession = { id, startedAt };
          }
        } else {
          await traffic.request('read-wear-sessions', 'GET', `${base(user)}/wear-sessions`, {
            token: user.token,
          });
        }
      },
    },
    {
      weight: 14,
      run: async (user) => {
        if (user.current + 1 >= user.total) {
          // Near the end: the plan starts again (a PUT re-plans the reminder too).
          const today = DateTime.now().setZone(user.zone).startOf('day');
          const reset = await traffic.request('treatment-put', 'PUT', `${base(user)}/treatment`, {
            token: user.token,
            json: {
              total_aligners: user.total,
              current_aligner: 1,
              change_interval_days: user.interval,
              started_on: today.minus({ days: 60 }).toISODate(),
              current_aligner_started_on: today.toISODate(),
            },
          });
          if (reset.status === 200) user.current = 1;
          return;
        }
        const changed = await traffic.request(
          'aligner-change',
          'POST',
          `${base(user)}/treatment/aligner-changes`,
          {
            token: user.token,
            json: { aligner_number: user.current + 1 },
            headers: { 'idempotency-key': randomUUID() },
          },
        );
        if (changed.status === 201) {
          user.current += 1;
          user.alignerChanges += 1;
        }
      },
    },
    {
      weight: 8,
      run: async (user) => {
        const time = `${String(randomInt(random, 6, 21)).padStart(2, '0')}:${pick(random, ['00', '15', '30', '45'])}`;
        const put = await traffic.request('settings-put', 'PUT', `${base(user)}/settings`, {
          token: user.token,
          json: { reminder_time: time },
        });
        if (put.status === 200) user.reminderTime = time;
      },
    },
    {
      weight: 10,
      run: async (user) => {
        const open = user.openRequest;
        if (open) {
          const seen = await traffic.request(
            'dentist-request-read',
            'GET',
            `${base(user)}/dentist-change-requests/${open.id}`,
            {
              token: user.token,
            },
          );
          if (seen.body?.status !== 'submitted') return;
          // Jarvis's staff made the change: Jarvis tells us through the internal API.
          const assigned = await traffic.request(
            'dentist-assign',
            'PUT',
            `/internal/users/by-email/${encodeURIComponent(user.email)}/dentist`,
            { internal: true, json: { dentist_id: open.dentistId } },
          );
          if (assigned.status === 200) {
            ledger.dentistRequests.get(open.id)!.assigned = true;
            user.dentistId = open.dentistId;
            user.openRequest = undefined;
          }
          return;
        }
        const dentistId = pick(
          random,
          DENTISTS.filter((id) => id !== user.dentistId),
        );
        const created = await traffic.request(
          'dentist-request',
          'POST',
          `${base(user)}/dentist-change-requests`,
          {
            token: user.token,
            json: { dentist_id: dentistId },
            headers: { 'idempotency-key': randomUUID() },
          },
        );
        if (created.status === 202) {
          user.openRequest = { id: created.body.id as string, dentistId };
          ledger.dentistRequests.set(created.body.id as string, {
            sub: user.sub,
            dentistId,
            assigned: false,
          });
        }
      },
    },
    {
      weight: 12,
      run: async (user) => {
        const events = Array.from({ length: randomInt(random, 1, 3) }, () =>
          event(user, 'firstname', `Soak${eventCounter + 1}`),
        );
        const acked = await postEvents('hubspot-webhook', events);
        if (acked.status !== 200) return;
        for (const sent of events)
          ledger.hubspot.push({
            contactId: sent.objectId,
            eventId: sent.eventId,
            occurredAt: sent.occurredAt,
            value: sent.propertyValue,
          });
        // HubSpot delivers some batches twice: the second must change nothing.
        if (random() < 0.1) await postEvents('hubspot-redelivery', events);
      },
    },
    {
      weight: 6,
      run: async (user) => {
        await traffic.request(
          'internal-user',
          'GET',
          `/internal/users?email=${encodeURIComponent(user.email)}`,
          {
            internal: true,
          },
        );
      },
    },
  ];
  const totalWeight = operations.reduce((sum, op) => sum + op.weight, 0);
  const chooseOperation = () => {
    let draw = random() * totalWeight;
    for (const op of operations) {
      draw -= op.weight;
      if (draw < 0) return op;
    }
    return operations[0]!;
  };

  // --- traffic: open loop at a fixed rate for a fixed time ---
  trafficStart = Date.now();
  const sampler = setInterval(sampleRss, 1000);
  sampleRss();
  const inFlight = new Set<Promise<void>>();
  const totalTicks = Math.round(options.seconds * options.rate);
  let idleTicks = 0;
  for (let tick = 0; tick < totalTicks; tick += 1) {
    const due = trafficStart + (tick * 1000) / options.rate;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    const idle = users.filter((user) => !user.busy);
    if (idle.length === 0) {
      idleTicks += 1;
      continue;
    }
    const user = pick(random, idle);
    user.busy = true;
    const running = chooseOperation()
      .run(user)
      .finally(() => {
        user.busy = false;
        inFlight.delete(running);
      });
    inFlight.add(running);
    if (tick > 0 && tick % (options.rate * 30) === 0)
      say(
        `${Math.round((Date.now() - trafficStart) / 1000)} s: ${traffic.sent} sent, ${traffic.acknowledged} acknowledged`,
      );
  }
  await Promise.all(inFlight);
  const durationMs = Date.now() - trafficStart;
  clearInterval(sampler);

  // --- drain: the worker finishes what was acknowledged (retries after faults included) ---
  const drainStart = Date.now();
  const outstanding = async () =>
    (await count(`select count(*) n from reminders where status in ('pending', 'cancel_requested')`)) +
    (await count(`select count(*) n from dentist_change_requests where status = 'pending'`)) +
    (await count(`select count(*) n from hubspot_events where status = 'received'`));
  while ((await outstanding()) > 0 && Date.now() - drainStart < options.drainSeconds * 1000) await sleep(500);
  const drainMs = Date.now() - drainStart;
  say(`traffic done in ${round(durationMs / 1000)} s; worker drained in ${round(drainMs / 1000)} s`);

  // --- reconciliation ---
  const problems: string[] = [];
  const checked: Record<string, number> = {};
  const check = (what: string, ok: boolean, problem: () => string) => {
    checked[what] = (checked[what] ?? 0) + 1;
    if (!ok) problems.push(`${what}: ${problem()}`);
  };
  const userIds = new Map<string, string>(
    (
      await db.query<{ id: string; cognito_sub: string }>(
        `select id, cognito_sub from users where cognito_sub like $1`,
        [`soak-${runId}-%`],
      )
    ).rows.map((row) => [row.cognito_sub, row.id]),
  );
  const subOf = new Map([...userIds].map(([sub, id]) => [id, sub]));
  const reminders = (
    await db.query<{
      id: string;
      user_id: string;
      type: string;
      status: string;
      onesignal_id: string | null;
      send_after: Date;
      wear_session_id: string | null;
      last_error: string | null;
    }>(
      `select id, user_id, type, status, onesignal_id, send_after, wear_session_id, last_error from reminders`,
    )
  ).rows;
  const stubByOnesignalId = new Map([...target.onesignal.notifications.values()].map((n) => [n.id, n]));

  // Every reminder row ended in a final state that matches OneSignal's.
  for (const reminder of reminders) {
    check(
      'reminder final',
      ['scheduled', 'cancelled'].includes(reminder.status) || awaitingHandOver(reminder),
      () =>
        `${reminder.type} reminder ${reminder.id} ended ${reminder.status} (${reminder.last_error ?? ''})`,
    );
    if (reminder.status === 'scheduled') {
      const held = reminder.onesignal_id ? stubByOnesignalId.get(reminder.onesignal_id) : undefined;
      check(
        'scheduled reminder live at OneSignal',
        held !== undefined && held.idempotencyKey === reminder.id && target.onesignal.live.has(held.id),
        () => `reminder ${reminder.id} is scheduled but OneSignal does not hold it`,
      );
    }
    if (reminder.status === 'cancelled') {
      const sent = target.onesignal.notifications.get(reminder.id);
      check(
        'cancelled reminder gone from OneSignal',
        !sent || !target.onesignal.live.has(sent.id),
        () => `reminder ${reminder.id} is cancelled but its notification is still live at OneSignal`,
      );
    }
  }
  // Nothing live at OneSignal that we do not consider scheduled (a user would get it).
  const scheduledIds = new Set(reminders.filter((r) => r.status === 'scheduled').map((r) => r.onesignal_id));
  for (const id of target.onesignal.live)
    check('no orphan notification at OneSignal', scheduledIds.has(id), () => `OneSignal still holds ${id}`);

  // Per user: the last acknowledged plan, aligner change and settings decide the progress reminder.
  const treatments = new Map(
    (
      await db.query<{ user_id: string; current_aligner: number }>(
        `select user_id, current_aligner from treatments`,
      )
    ).rows.map((row) => [row.user_id, row]),
  );
  const settingsRows = new Map(
    (
      await db.query<{ user_id: string; reminder_time: string }>(
        `select user_id, reminder_time from user_settings`,
      )
    ).rows.map((row) => [row.user_id, row]),
  );
  const changes = new Map(
    (
      await db.query<{ user_id: string; n: string }>(
        `select user_id, count(*) n from aligner_changes group by user_id`,
      )
    ).rows.map((row) => [row.user_id, Number(row.n)]),
  );
  for (const user of users) {
    const userId = userIds.get(user.sub);
    check('user present', userId !== undefined, () => `${user.sub} missing`);
    if (!userId) continue;
    check(
      'aligner changes recorded',
      (changes.get(userId) ?? 0) === user.alignerChanges,
      () => `${user.sub}: ${user.alignerChanges} acknowledged, ${changes.get(userId) ?? 0} recorded`,
    );
    check(
      'current aligner',
      treatments.get(userId)?.current_aligner === user.current,
      () => `${user.sub}: aligner ${treatments.get(userId)?.current_aligner}, expected ${user.current}`,
    );
    check(
      'reminder time',
      String(settingsRows.get(userId)?.reminder_time ?? '09:00').slice(0, 5) === user.reminderTime,
      () =>
        `${user.sub}: reminder_time ${settingsRows.get(userId)?.reminder_time}, expected ${user.reminderTime}`,
    );
    // Read outside the traffic figures: the reconciliation is not load.
    const treatment = (await (
      await fetch(`${target.apiUrl}${base(user)}/treatment`, {
        headers: { authorization: `Bearer ${user.token}` },
      })
    ).json()) as { next_change_on: string };
    const [hour, minute] = user.reminderTime.split(':').map(Number) as [number, number];
    const expected = DateTime.fromISO(treatment.next_change_on, { zone: user.zone })
      .set({ hour, minute })
      .toMillis();
    const live = reminders.filter(
      (r) => r.user_id === userId && r.type === 'progress' && ['pending', 'scheduled'].includes(r.status),
    );
    check(
      'one progress reminder at the planned time',
      live.length === 1 && live[0]!.send_after.getTime() === expected,
      () =>
        `${user.sub}: ${live.length} live progress reminders at ${live.map((r) => r.send_after.toISOString()).join(', ')}; expected ${new Date(expected).toISOString()}`,
    );
  }

  // Wear sessions: every acknowledged start exists, every acknowledged end is recorded,
  // and the session's reminder is scheduled while it is open, cancelled once it ended.
  const sessions = new Map(
    (
      await db.query<{ id: string; user_id: string; ended_at: Date | null }>(
        `select id, user_id, ended_at from wear_sessions`,
      )
    ).rows.map((row) => [row.id, row]),
  );
  for (const [id, sub] of ledger.wearStarted) {
    const session = sessions.get(id);
    check(
      'wear session stored',
      session !== undefined && subOf.get(session.user_id) === sub,
      () => `session ${id} missing`,
    );
    const ended = ledger.wearEnded.has(id);
    if (ended) check('wear session ended', session?.ended_at != null, () => `session ${id} end not recorded`);
    const wear = reminders.filter((r) => r.wear_session_id === id);
    check(
      'wear reminder final',
      wear.length === 1 && wear[0]!.status === (ended ? 'cancelled' : 'scheduled'),
      () =>
        `session ${id} (${ended ? 'ended' : 'open'}): reminders ${JSON.stringify(wear.map((r) => r.status))}`,
    );
  }

  // Dentist changes: each acknowledged request reached Jarvis exactly once.
  const requests = new Map(
    (
      await db.query<{
        id: string;
        status: string;
        jarvis_ticket_id: string | null;
        last_error: string | null;
      }>(`select id, status, jarvis_ticket_id, last_error from dentist_change_requests`)
    ).rows.map((row) => [row.id, row]),
  );
  for (const [id, request] of ledger.dentistRequests) {
    const row = requests.get(id);
    const want = request.assigned ? 'completed' : 'submitted';
    check(
      'dentist request final',
      row?.status === want && row.jarvis_ticket_id !== null,
      () =>
        `request ${id}: ${row?.status} ticket ${row?.jarvis_ticket_id} (${row?.last_error ?? ''}), expected ${want}`,
    );
  }
  check(
    'Jarvis tickets, one per request',
    target.jarvis.tickets.length === ledger.dentistRequests.size,
    () => `${target.jarvis.tickets.length} tickets at Jarvis for ${ledger.dentistRequests.size} requests`,
  );
  const finalDentists = new Map(
    (
      await db.query<{ cognito_sub: string; dentist_id: number | null }>(
        `select cognito_sub, dentist_id from users`,
      )
    ).rows.map((row) => [row.cognito_sub, row.dentist_id]),
  );
  for (const user of users)
    check(
      'dentist assigned',
      (finalDentists.get(user.sub) ?? null) === user.dentistId,
      () => `${user.sub}: dentist ${finalDentists.get(user.sub)}, expected ${user.dentistId}`,
    );

  // HubSpot: every acknowledged event processed; the newest value per contact applied.
  const events = new Map(
    (
      await db.query<{ event_id: string; object_id: string; occurred_at: string; status: string }>(
        `select event_id, object_id, occurred_at, status from hubspot_events where portal_id = 77`,
      )
    ).rows.map((row) => [`${row.object_id}:${row.event_id}:${row.occurred_at}`, row.status]),
  );
  const latest = new Map<number, HubSpotSent>();
  for (const sent of ledger.hubspot) {
    const status = events.get(`${sent.contactId}:${sent.eventId}:${sent.occurredAt}`);
    check(
      'hubspot event processed',
      status === 'processed',
      () => `event ${sent.eventId}: ${status ?? 'missing'}`,
    );
    if ((latest.get(sent.contactId)?.occurredAt ?? 0) < sent.occurredAt) latest.set(sent.contactId, sent);
  }
  const firstNames = new Map(
    (
      await db.query<{ cognito_sub: string; first_name: string | null }>(
        `select cognito_sub, first_name from users`,
      )
    ).rows.map((row) => [row.cognito_sub, row.first_name]),
  );
  for (const user of users) {
    const newest = latest.get(user.contactId);
    if (!newest) continue;
    check(
      'hubspot newest value applied',
      firstNames.get(user.sub) === newest.value,
      () => `${user.sub}: first_name ${firstNames.get(user.sub)}, expected ${newest.value}`,
    );
  }
  // --- figures ---
  const metrics = await fetch(`${target.workerUrl}/metrics`)
    .then((response) => response.text())
    .catch(() => '');
  const byOutcome: Record<string, number> = {};
  const byJob: Record<string, number> = {};
  let attempts = 0;
  for (const match of metrics.matchAll(/^bullmq_jobs_total\{([^}]*)\} (\d+(?:\.\d+)?)$/gm)) {
    const labels = Object.fromEntries([...match[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    const value = Number(match[2]);
    attempts += value;
    byOutcome[labels.outcome ?? '?'] = (byOutcome[labels.outcome ?? '?'] ?? 0) + value;
    byJob[labels.name ?? '?'] = (byJob[labels.name ?? '?'] ?? 0) + value;
  }
  const api = rssSummary(rss.api, durationMs);
  const worker = rssSummary(rss.worker, durationMs);
  const sorted = [...traffic.latencies].sort((a, b) => a - b);
  const faultTotal = (counts: FaultCounts) => counts.error500 + counts.rateLimited429 + counts.slow;
  return {
    started_at: startedAt.toISOString(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model ?? 'unknown',
      memory_gib: round(os.totalmem() / 1024 ** 3),
      node: process.version,
    },
    settings: {
      seconds: options.seconds,
      rate: options.rate,
      users: options.users,
      seed: options.seed,
      faults: SOAK_FAULTS,
    },
    duration_s: round(durationMs / 1000),
    drain_s: round(drainMs / 1000),
    requests: {
      sent: traffic.sent,
      acknowledged: traffic.acknowledged,
      unexpected: traffic.unexpected.length,
      achieved_rate: round((totalTicks - idleTicks) / (durationMs / 1000)),
      by_operation: traffic.byOperation,
      latency_ms: {
        p50: round(percentile(sorted, 50)),
        p95: round(percentile(sorted, 95)),
        p99: round(percentile(sorted, 99)),
        max: round(sorted.at(-1) ?? 0),
      },
    },
    jobs: { attempts, by_outcome: byOutcome, by_job: byJob },
    faults: {
      onesignal: { ...target.onesignal.counts },
      jarvis: { ...target.jarvis.counts },
      injected: faultTotal(target.onesignal.counts) + faultTotal(target.jarvis.counts),
    },
    reconciliation: { checked, lost: problems.length, problems: problems.slice(0, 50) },
    rss: {
      api,
      worker,
      criterion: `per process: median RSS of the last third ≤ ${RSS_MAX_RATIO} × median RSS over 20 % of the run after warm-up (max(30 s, 20 %) of the run)`,
      flat: api.ratio <= RSS_MAX_RATIO && worker.ratio <= RSS_MAX_RATIO,
      series: rss.api
        .filter((_, index) => index % 5 === 0)
        .map((sample) => [
          round(sample.t / 1000, 0),
          round(sample.mib),
          round(rss.worker.find((w) => w.t >= sample.t)?.mib ?? 0),
        ]),
    },
    unexpected_samples: traffic.unexpected.slice(0, 20),
  };
}

export function writeReport(report: SoakReport, file: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}

export function formatReport(report: SoakReport): string {
  const mib = (summary: RssSummary) =>
    `start ${summary.start_mib} → after warm-up ${summary.after_warmup_median_mib} → last third ${summary.last_third_median_mib} → end ${summary.end_mib} MiB (×${summary.ratio}, ${summary.slope_mib_per_min} MiB/min)`;
  return [
    `soak: ${report.duration_s} s at ${report.settings.rate}/s (${report.requests.achieved_rate}/s achieved), ${report.settings.users} users; drain ${report.drain_s} s`,
    `requests: ${report.requests.sent} sent, ${report.requests.acknowledged} acknowledged, ${report.requests.unexpected} unexpected; p50 ${report.requests.latency_ms.p50} ms, p99 ${report.requests.latency_ms.p99} ms`,
    `jobs: ${report.jobs.attempts} attempts ${JSON.stringify(report.jobs.by_outcome)}`,
    `faults injected: ${report.faults.injected} (OneSignal ${JSON.stringify(report.faults.onesignal)}, Jarvis ${JSON.stringify(report.faults.jarvis)})`,
    `reconciliation: ${Object.values(report.reconciliation.checked).reduce((a, b) => a + b, 0)} checks, lost ${report.reconciliation.lost}`,
    `RSS api: ${mib(report.rss.api)}`,
    `RSS worker: ${mib(report.rss.worker)}`,
    ...report.reconciliation.problems.slice(0, 10).map((problem) => `  problem: ${problem}`),
    ...report.unexpected_samples.slice(0, 10).map((line) => `  unexpected: ${line}`),
  ].join('\n');
}

import { workerFeatures } from '../../../src/worker/features.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Knex } from 'knex';
import { TREATMENT_COLUMNS } from '../../../src/treatment/model.js';
import { addDays, todayIn } from '../../../src/shared/time/local-time.js';
import { processHubspotEvent } from '../../../src/hubspot/process-event-job.js';
import { processRollUpWear } from '../../../src/wear/roll-up-job.js';
import { encodeCursor } from '../../../src/api/pagination.js';
import { prune } from '../../../src/worker/maintenance/prune.js';
import { claimRun, recordCompletion, requestCatchUp } from '../../../src/shared/db/maintenance-runs.js';
import { sweep } from '../../../src/worker/maintenance/sweep.js';
import { sweepSources } from '../../support/worker.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { deliver, hubspotEvent } from '../../support/hubspot.js';
import { fakeJob } from '../../support/jobs.js';
import { call, newPatient } from '../../support/patients.js';
import { workerContextFor } from '../../support/worker.js';

// Issue 10: every hot query uses an index. The statements are not listed by hand: the
// app's own hot paths run, every statement they send is recorded, and each is
// EXPLAINed with sequential scans priced out (`enable_seqscan = off`). Postgres still
// reads the whole table (a Seq Scan, or an index walked without a condition) when no
// index can serve the query, so one in a plan means an index is missing — whatever
// the table's size, which in a test database is tiny.

interface Recorded {
  sql: string;
  bindings: readonly unknown[];
  /** Set for a prepared statement (db/prepared.ts). */
  name?: string;
}

const ZONE = 'Europe/Berlin';
let app: TestApp;
const recorded: Recorded[] = [];

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

function record(knex: Knex): () => void {
  const listener = (query: { sql: string; bindings?: readonly unknown[]; options?: { name?: string } }) =>
    recorded.push({ sql: query.sql, bindings: query.bindings ?? [], name: query.options?.name });
  knex.on('query', listener);
  return () => knex.off('query', listener);
}

/** The app's hottest paths: the mobile reads and writes, the webhook, the jobs behind them, the sweeper and the prune. */
async function runHotPaths(): Promise<void> {
  const patient = await newPatient(app, { timezone: ZONE });
  const today = todayIn(ZONE, new Date());
  const plan = {
    total_aligners: 20,
    current_aligner: 5,
    change_interval_days: 10,
    started_on: addDays(today, -45),
    current_aligner_started_on: addDays(today, -5),
  };
  const stopRecording = record(app.deps.knex);
  try {
    expect((await call(app, patient, 'PUT', '/treatment', plan)).status).toBe(201);
    expect((await call(app, patient, 'GET', '')).status).toBe(200);
    expect((await call(app, patient, 'GET', '/treatment')).status).toBe(200);
    const started = await call(app, patient, 'POST', '/wear-sessions', { reason: 'meal' });
    expect(started.status).toBe(201);
    expect(
      (
        await call(app, patient, 'PATCH', `/wear-sessions/${started.body.id}`, {
          ended_at: new Date().toISOString(),
        })
      ).status,
    ).toBe(200);
    expect((await call(app, patient, 'GET', '/wear-sessions?limit=10')).status).toBe(200);
    const stats = await call(app, patient, 'GET', `/wear-stats?from=${addDays(today, -89)}&to=${today}`);
    expect(stats.status).toBe(200);
    expect((await call(app, patient, 'POST', '/treatment/aligner-changes', {})).status).toBe(201);

    expect((await deliver(app, [hubspotEvent({ objectId: 777001 })])).status).toBe(200);
    const context = workerContextFor(app);
    const [event] = (await app.deps
      .knex('hubspot_events')
      .where({ object_id: 777001 })
      .select('id')) as Array<{
      id: string;
    }>;
    await processHubspotEvent(fakeJob(event!.id), context);
    // The periodic tasks: their clock, a regular sweep, a catch-up one paged a row at a
    // time (so every source's next-page query runs), and the prune.
    await requestCatchUp(app.deps.knex, 'sweep');
    expect(await claimRun(app.deps.knex, 'sweep', 30_000, 'query-plans')).toEqual({ catchUp: true });
    await sweep(app.deps.knex, app.deps.dispatcher, sweepSources, app.deps.logger);
    await sweep(app.deps.knex, app.deps.dispatcher, sweepSources, app.deps.logger, {
      graceMs: 0,
      pageSize: 1,
    });
    await recordCompletion(app.deps.knex, 'sweep', 'query-plans');
    await prune(context, workerFeatures);
    // The back office's adherence reads, after the worker's daily upkeep wrote the windows.
    await processRollUpWear(fakeJob(patient.user.id), context);
    const internal = { headers: { 'x-api-key': app.config.INTERNAL_API_KEYS[0]! } };
    const cursor = encodeCursor([0.5, patient.user.id]);
    for (const path of [
      '/internal/adherence/at-risk?days=7&below_percent=100',
      `/internal/adherence/at-risk?days=14&dentist_id=1&cursor=${cursor}`,
      `/internal/users/by-email/${encodeURIComponent(patient.user.email)}/adherence?days=30`,
    ])
      expect((await app.request(path, internal)).status).toBe(200);
  } finally {
    stopRecording();
  }
}

/**
 * Plan nodes that read a whole table: a Seq Scan, or an index walked end to end with
 * no condition on it (what the planner falls back to when scans are priced out).
 */
function fullScans(plan: Record<string, unknown>): string[] {
  const type = plan['Node Type'];
  const whole =
    type === 'Seq Scan' || ((type === 'Index Scan' || type === 'Index Only Scan') && !plan['Index Cond']);
  const own = whole ? [`${String(type)} on ${String(plan['Relation Name'])}`] : [];
  const children = (plan.Plans as Array<Record<string, unknown>> | undefined) ?? [];
  return [...own, ...children.flatMap(fullScans)];
}

/** Objection's statements arrive in Postgres' `$1` form, knex's in `?` form: raw() takes the latter. */
function knexForm({ sql, bindings }: Recorded): Recorded {
  const positions = [...sql.matchAll(/\$(\d+)/g)].map((match) => Number(match[1]) - 1);
  if (positions.length === 0) return { sql, bindings };
  return { sql: sql.replace(/\$\d+/g, '?'), bindings: positions.map((index) => bindings[index]) };
}

async function explain(statement: Recorded): Promise<string[]> {
  const { sql, bindings } = knexForm(statement);
  return app.deps.knex.transaction(async (trx) => {
    await trx.raw('set local enable_seqscan = off');
    const { rows } = (await trx.raw(`explain (format json) ${sql}`, bindings as never)) as {
      rows: Array<{ 'QUERY PLAN': Array<{ Plan: Record<string, unknown> }> }>;
    };
    return fullScans(rows[0]!['QUERY PLAN'][0]!.Plan);
  });
}

const EXPLAINABLE = /^\s*(select|update|delete|insert|with)\b/i;

describe('hot queries (issue 10)', () => {
  it('use an index: no statement on the hot paths reads a whole table', async () => {
    await runHotPaths();
    const statements = [...new Map(recorded.map((entry) => [entry.sql, entry])).values()].filter((entry) =>
      EXPLAINABLE.test(entry.sql),
    );
    // The journey really ran: its reads and writes were all recorded.
    expect(statements.length).toBeGreaterThan(15);
    const scanning: string[] = [];
    for (const statement of statements) {
      const tables = await explain(statement);
      if (tables.length > 0) scanning.push(`${tables.join(', ')} ← ${statement.sql}`);
    }
    expect(scanning).toEqual([]);
  });
});

describe('prepared statements (decision record 007)', () => {
  const PROBE = 'probe_added_by_a_later_migration';
  const TABLES = ['users', 'treatments', 'wear_sessions', 'dentists', 'hubspot_events'];

  it('have one text per name, and a migration adding columns breaks none (no prepared `select *`)', async () => {
    recorded.length = 0;
    await runHotPaths();
    const stopRecording = record(app.deps.knex);
    try {
      // A batch of another size: still the one statement.
      const batch = [hubspotEvent({ objectId: 777002 }), hubspotEvent({ objectId: 777003 })];
      expect((await deliver(app, batch)).status).toBe(200);
    } finally {
      stopRecording();
    }
    const textsByName = new Map<string, Set<string>>();
    for (const { name, sql } of recorded)
      if (name) textsByName.set(name, (textsByName.get(name) ?? new Set()).add(sql));
    expect([...textsByName.keys()].sort()).toEqual([
      'read_treatment',
      'store_hubspot_deliveries',
      'wear_stats_basis',
    ]);
    for (const [name, texts] of textsByName) expect([name, texts.size]).toEqual([name, 1]);

    // A rolling deploy migrates while this version still serves, on connections that
    // have the statements prepared: every hot path must still answer.
    const knex = app.deps.knex;
    try {
      for (const table of TABLES) await knex.raw('alter table ?? add column ?? int', [table, PROBE]);
      await runHotPaths();
    } finally {
      for (const table of TABLES) await knex.raw('alter table ?? drop column if exists ??', [table, PROBE]);
    }
  });

  it('TREATMENT_COLUMNS lists every column of treatments', async () => {
    const columns = (await app.deps
      .knex('information_schema.columns')
      .where({ table_schema: 'public', table_name: 'treatments' })
      .pluck('column_name')) as string[];
    expect([...TREATMENT_COLUMNS].sort()).toEqual(columns.sort());
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Knex } from 'knex';
import { startTestApp, type TestApp } from '../../support/app.js';

// The at-risk list costs what its page costs, not what the user base costs
// (docs/internal-api.md#at-risk): with the bench's 10,000 users in active treatment and
// their windows, the planner itself (nothing priced out) reads the risk index from the
// worst row and stops at the page; no table is read whole and nothing is sorted.

const USERS = 10_000;
const DENTISTS = 20;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  const knex = app.deps.knex;
  await knex.raw(
    `insert into dentists (id, name, practice_name, city)
     select 900000 + n, 'Dr ' || n, 'Practice ' || n, 'Leeds' from generate_series(1, ?) n`,
    [DENTISTS],
  );
  await knex.raw(
    `insert into users (cognito_sub, email, timezone, locale, dentist_id)
     select gen_random_uuid(), 'plan-' || n || '@example.com', 'Europe/London', 'en-GB', 900001 + n % ?
       from generate_series(1, ?) n`,
    [DENTISTS, USERS],
  );
  await knex.raw(
    `insert into treatments (user_id, status, total_aligners, current_aligner, change_interval_days,
                             started_on, current_aligner_started_on)
     select id, case when random() < 0.05 then 'paused' else 'active' end, 30, 5, 10,
            current_date - 60, current_date - 5
       from users where email like 'plan-%'`,
  );
  // A quarter below 85 % of their goal, a few silent: as the worker writes them.
  await knex.raw(
    `insert into adherence_windows (user_id, window_days, through, silent, wear_ratio, dentist_id, figures, computed_at)
     select u.id, w, current_date - 1, random() < 0.01, 0.6 + random() * 0.5, u.dentist_id, '{}'::jsonb, now()
       from users u cross join (values (7), (14), (30)) as windows (w)
      where u.email like 'plan-%'`,
  );
  await knex.raw('analyze users, treatments, dentists, adherence_windows');
}, 60_000);
afterAll(() => app.close());

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  Plans?: PlanNode[];
}

const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

/** The statement the endpoint sends for `query`, EXPLAINed as it runs. */
async function planOf(query: string): Promise<PlanNode[]> {
  const statements: Array<{ sql: string; bindings: readonly unknown[] }> = [];
  const listener = (entry: { sql: string; bindings?: readonly unknown[] }) =>
    statements.push({ sql: entry.sql, bindings: entry.bindings ?? [] });
  app.deps.knex.on('query', listener);
  try {
    const response = await app.request(`/internal/adherence/at-risk${query}`, {
      headers: { 'x-api-key': app.config.INTERNAL_API_KEYS[0]! },
    });
    expect(response.status).toBe(200);
  } finally {
    app.deps.knex.off('query', listener);
  }
  const statement = statements.find((entry) => entry.sql.includes('adherence_windows'));
  expect(statement).toBeDefined();
  const { rows } = (await app.deps.knex.raw(
    // Sent in the driver's `$n` form, numbered in order: raw() takes `?`.
    `explain (analyze, format json) ${statement!.sql.replace(/\$\d+/g, '?')}`,
    statement!.bindings as Knex.RawBinding[],
  )) as { rows: Array<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }> };
  return nodes(rows[0]!['QUERY PLAN'][0]!.Plan);
}

describe('the at-risk query plan, 10,000 users', () => {
  it.each([
    ['every dentist', '?days=7&below_percent=85&limit=50', 'adherence_windows_risk'],
    ['one dentist', '?days=30&below_percent=85&dentist_id=900007&limit=50', 'adherence_windows_dentist_risk'],
    ['a page of 200', '?days=14&below_percent=100&limit=200', 'adherence_windows_risk'],
  ])('%s: a range scan of the risk index that stops at the page', async (_name, query, index) => {
    const plan = await planOf(query);
    const limit = Number(/limit=(\d+)/.exec(query)![1]);
    expect(
      plan.filter((node) => node['Node Type'] === 'Seq Scan').map((node) => node['Relation Name']),
    ).toEqual([]);
    expect(plan.some((node) => node['Node Type'] === 'Sort')).toBe(false);
    const scan = plan.find((node) => node['Relation Name'] === 'adherence_windows');
    expect(scan).toMatchObject({ 'Node Type': 'Index Scan', 'Index Name': index });
    // The page (and the one row that says there is another), plus the paused treatments
    // skipped on the way (about 5 %): never the thousands below the threshold.
    expect(scan!['Actual Rows'] * scan!['Actual Loops']).toBeLessThan((limit + 1) * 1.5 + 10);
  });
});

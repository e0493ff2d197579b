/**
 * Every benchmark `npm run bench` runs, in this order. To add one: a new entry here
 * (and, for a new kind of request, a member of RequestPlan in request-plans.ts; for a
 * new process under load, an entry in servers.ts).
 */
import type { Targets } from './lib/results.js';
import type { BenchUser, RequestPlan } from './request-plans.js';
import { BENCH_HUBSPOT_SECRET, type ServerName } from './servers.js';

export interface BenchData {
  users: BenchUser[];
}

export interface Benchmark {
  /** Also the name of its results file, bench/results/<name>.json. */
  name: string;
  description: string;
  server: ServerName;
  connections: number;
  plan: (data: BenchData) => RequestPlan;
  /** The benchmark whose median req/s this one's ratio is taken against. */
  baseline?: string;
  /** Informational pass/short lines (the issue-10 targets); they never fail the run. */
  targets?: Targets;
}

export const BASELINE = 'baseline-koa';

export const benchmarks: Benchmark[] = [
  {
    name: BASELINE,
    description:
      'Bare Koa answering a constant JSON object the size of a treatment response: the framework ceiling. ' +
      'Same request shapes as GET treatment (random user path, bearer token).',
    server: 'baseline',
    connections: 32,
    plan: ({ users }) => ({ kind: 'user-get', path: '/auth/users/{sub}/treatment', users }),
  },
  {
    name: 'get-profile',
    description: 'GET /auth/users/{sub}: JWT decode, one indexed users read.',
    server: 'api',
    connections: 32,
    baseline: BASELINE,
    plan: ({ users }) => ({ kind: 'user-get', path: '/auth/users/{sub}', users }),
  },
  {
    name: 'get-treatment',
    description:
      "GET /auth/users/{sub}/treatment: user + treatment reads, derived fields in the user's zone.",
    server: 'api',
    connections: 32,
    baseline: BASELINE,
    plan: ({ users }) => ({ kind: 'user-get', path: '/auth/users/{sub}/treatment', users }),
    targets: { minRatioToBaseline: 0.3, maxP99Ms: 25, note: 'issue 10' },
  },
  {
    name: 'get-wear-stats-90d',
    description:
      "GET /auth/users/{sub}/wear-stats over the user's last 90 local days (today included), with streak.",
    server: 'api',
    connections: 32,
    baseline: BASELINE,
    plan: ({ users }) => ({
      kind: 'user-get',
      path: '/auth/users/{sub}/wear-stats?from={from}&to={to}',
      rangeDays: 90,
      users,
    }),
    targets: { maxP99Ms: 15, note: 'issue 10, with 10,000 users and 1,000,000 sessions loaded' },
  },
  {
    name: 'hubspot-ack-1',
    description:
      'POST /public/hubspot/webhooks, one new event per request, signed: signature check, one INSERT, enqueue after commit.',
    server: 'api',
    connections: 32,
    baseline: BASELINE,
    plan: () => ({ kind: 'hubspot-batch', eventsPerRequest: 1, secret: BENCH_HUBSPOT_SECRET }),
    targets: { minRatioToBaseline: 0.2, maxP99Ms: 50, note: 'issue 10' },
  },
  {
    name: 'hubspot-ack-100',
    description:
      "POST /public/hubspot/webhooks, 100 new events per request (HubSpot's maximum), 10 connections: events/s = 100 × req/s.",
    server: 'api',
    connections: 10,
    baseline: BASELINE,
    plan: () => ({ kind: 'hubspot-batch', eventsPerRequest: 100, secret: BENCH_HUBSPOT_SECRET }),
    // events/s ≥ 1.5 × the baseline's req/s ⇔ req/s ratio ≥ 0.015.
    targets: { minRatioToBaseline: 0.015, maxP99Ms: 150, note: 'issue 10: events/s ≥ 1.5 × baseline req/s' },
  },
];

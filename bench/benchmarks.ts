/**
 * Every benchmark `npm run bench` runs, in this order. To add one: a new entry here
 * (and, for a new kind of request, a member of RequestPlan in request-plans.ts; for a
 * new process under load, an entry in servers.ts).
 */
import type { Targets } from './lib/targets.js';
import type { BenchUser, RequestPlan } from './request-plans.js';
import { BENCH_HUBSPOT_SECRET, BENCH_INTERNAL_API_KEY, type ServerName } from './servers.js';

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
  /** HubSpot events per request: throughput targets count events, not requests. */
  eventsPerRequest?: number;
  /** The benchmark whose median req/s this one's ratio is taken against. */
  baseline?: string;
  /** For a traced benchmark: its untraced twin, whose server CPU per request it is compared with. */
  tracingOf?: string;
  /** Informational pass/short lines (issue 17's targets); they never fail the run. */
  targets?: Targets;
}

export const BASELINE = 'baseline-koa';

/** New signed HubSpot events, `eventsPerRequest` per webhook request. */
const hubspotBatches = (eventsPerRequest: number) => ({
  eventsPerRequest,
  plan: (): RequestPlan => ({ kind: 'hubspot-batch', eventsPerRequest, secret: BENCH_HUBSPOT_SECRET }),
});

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
    targets: { title: 'GET /auth/users/{sub}, 32 connections', minThroughputRatio: 0.1 },
  },
  {
    name: 'get-treatment',
    description:
      "GET /auth/users/{sub}/treatment: user + treatment reads, derived fields in the user's zone.",
    server: 'api',
    connections: 32,
    baseline: BASELINE,
    plan: ({ users }) => ({ kind: 'user-get', path: '/auth/users/{sub}/treatment', users }),
    targets: {
      title: 'GET /auth/users/{sub}/treatment, 32 connections',
      minThroughputRatio: 0.15,
      maxP99Ms: 15,
    },
  },
  {
    name: 'get-wear-stats-30d',
    description:
      "GET /auth/users/{sub}/wear-stats over the user's last 30 local days, as the app's home screen asks.",
    server: 'api',
    connections: 32,
    baseline: BASELINE,
    plan: ({ users }) => ({
      kind: 'user-get',
      path: '/auth/users/{sub}/wear-stats?from={from}&to={to}',
      rangeDays: 30,
      users,
    }),
    targets: { title: 'GET /wear-stats over 30 days, 32 connections', minThroughputRatio: 0.1 },
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
    targets: {
      title: 'GET /wear-stats over 90 days, with 10,000 users and 1,000,000 wear sessions loaded',
      maxP99Ms: 15,
      minDataset: { users: 10_000, wearSessions: 1_000_000 },
    },
  },
  {
    name: 'get-notifications',
    description: "GET /auth/users/{sub}/notifications: the first page of the user's reminders, newest first.",
    server: 'api',
    connections: 32,
    baseline: BASELINE,
    plan: ({ users }) => ({ kind: 'user-get', path: '/auth/users/{sub}/notifications', users }),
    targets: { title: 'GET /notifications, 32 connections', minThroughputRatio: 0.1 },
  },
  {
    name: 'get-at-risk',
    description:
      'GET /internal/adherence/at-risk: the first page (50, or 200) of the 7-, 14- or 30-day list, worst first (the seed leaves 5 % of the apps silent).',
    server: 'api',
    connections: 8,
    baseline: BASELINE,
    plan: () => ({
      kind: 'internal-get',
      apiKey: BENCH_INTERNAL_API_KEY,
      paths: [7, 14, 30].flatMap((days) =>
        [50, 200].map((limit) => `/internal/adherence/at-risk?days=${days}&limit=${limit}`),
      ),
    }),
    targets: {
      title: 'GET /internal/adherence/at-risk, 10,000 users, 8 connections',
      maxP99Ms: 20,
      minDataset: { users: 10_000, wearSessions: 1_000_000 },
    },
  },
  // Tracing's cost (docs/operations.md#tracing): GET treatment and the 1-event HubSpot
  // acknowledgement again, on an API whose OTEL_* variables turn tracing on. Compare each
  // one's server CPU per request with its untraced twin's in the same run.
  ...(['api-traced-unsampled', 'api-traced-10pct', 'api-traced-all'] as const).map((server): Benchmark => ({
    name: `get-treatment-${server.replace('api-', '')}`,
    description: `GET /auth/users/{sub}/treatment, on the API with tracing on (${server.replace('api-traced-', '')}).`,
    server,
    connections: 32,
    baseline: BASELINE,
    tracingOf: 'get-treatment',
    plan: ({ users }) => ({ kind: 'user-get', path: '/auth/users/{sub}/treatment', users }),
  })),
  {
    name: 'hubspot-ack-1',
    description:
      'POST /public/hubspot/webhooks, one new event per request, signed: signature check, one INSERT, enqueue after commit.',
    server: 'api',
    connections: 32,
    baseline: BASELINE,
    ...hubspotBatches(1),
    targets: {
      title: 'HubSpot acknowledgement, 1 event per request, 32 connections',
      minThroughputRatio: 0.1,
      maxP99Ms: 25,
    },
  },
  {
    name: 'hubspot-ack-100',
    description:
      "POST /public/hubspot/webhooks, 100 new events per request (HubSpot's maximum), 10 connections: events/s = 100 × req/s.",
    server: 'api',
    connections: 10,
    baseline: BASELINE,
    ...hubspotBatches(100),
    // events/s (100 × req/s) ≥ 3 × the baseline's req/s.
    targets: {
      title: 'HubSpot acknowledgement, 100 events per request, 10 connections',
      minThroughputRatio: 3,
      maxP99Ms: 40,
    },
  },
  {
    name: 'hubspot-ack-1-traced-10pct',
    description: 'POST /public/hubspot/webhooks, one event per request, on the API with tracing on (10pct).',
    server: 'api-traced-10pct',
    connections: 32,
    baseline: BASELINE,
    tracingOf: 'hubspot-ack-1',
    ...hubspotBatches(1),
  },
];

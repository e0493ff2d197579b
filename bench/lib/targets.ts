/**
 * Issues 10 and 17's targets in one table: every target, its measured figure from this
 * invocation, and pass / short (or why it has no figure). Informational: a short target
 * does not fail `npm run bench`.
 */
import type { Benchmark } from '../benchmarks.js';
import { HUBSPOT_E2E_TARGETS, type HubspotE2eResult } from '../hubspot-latency.js';
import { HUBSPOT_SATURATION_TARGETS } from '../hubspot-saturation.js';
import { REMINDER_JOBS_MIN_RATIO, type ReminderJobsResult } from '../reminder-jobs.js';
import type { Summary } from './results.js';

export interface Targets {
  /** How the issue names what is measured (the first column of the targets table). */
  title: string;
  /**
   * Throughput at least this multiple of the baseline's req/s, counting `eventsPerRequest`
   * items per request (0.3 = 30 % of bare Koa's requests/s; 1.5 events per baseline request).
   */
  minThroughputRatio?: number;
  maxP99Ms?: number;
  /** The target holds with at least this much data loaded. */
  minDataset?: { users: number; wearSessions: number };
}

/** Issue 10: the API's and the worker's resident memory after the load runs. */
export const MAX_RSS_MB = 200;

export interface TargetRow {
  target: string;
  measured: string;
  want: string;
  /** `not measured`: its benchmark was not selected, or failed before a figure. */
  result: 'pass' | 'short' | 'not measured';
  /** How far to trust the figure: invalid or noisy runs, a smaller data set than the target's. */
  note: string;
}

/** A process's resident memory after its load, as measured by the runner. */
export interface MemoryReading {
  process: string;
  after: string;
  rssMiB: number | null;
  /** The largest reading after any one run, when readings were taken between runs. */
  peakMiB?: number | null;
  /** Whether the load it comes after was selected (else: `not selected`, not `not measured`). */
  selected: boolean;
}

export interface TargetInputs {
  benchmarks: readonly Benchmark[];
  summaries: readonly Summary[];
  dataset: { users?: number; wearSessions?: number };
  reminderJobs: ReminderJobsResult | null;
  hubspotE2e: HubspotE2eResult | null;
  memory: readonly MemoryReading[];
}

const number = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const percent = (ratio: number) => `${(ratio * 100).toFixed(1)} %`;
const ms = (value: number, digits = 0) =>
  value === 0 && digits === 0 ? '<1 ms' : `${value.toFixed(digits)} ms`;

function row(
  target: string,
  want: string,
  figure: { text: string; pass: boolean } | null,
  note: string,
): TargetRow {
  return {
    target,
    want,
    measured: figure?.text ?? '—',
    result: figure === null ? 'not measured' : figure.pass ? 'pass' : 'short',
    note,
  };
}

function runsNote(runs: { valid: number; measured: number; noisy: number; status: string }): string {
  const parts = [`${runs.valid}/${runs.measured} runs valid`];
  if (runs.status !== 'ok') parts[0] = `INVALID: ${parts[0]}`;
  if (runs.noisy > 0) parts.push(`${runs.noisy} noisy`);
  return parts.join(', ');
}

function httpRows(benchmark: Benchmark, inputs: TargetInputs): TargetRow[] {
  const targets = benchmark.targets!;
  const summary = inputs.summaries.find((s) => s.name === benchmark.name);
  const baseline = inputs.summaries.find((s) => s.name === summary?.baseline);
  const notes: string[] = [];
  if (summary) {
    notes.push(
      runsNote({
        valid: summary.validRuns,
        measured: summary.measuredRuns,
        noisy: summary.noisyRuns,
        status: summary.status,
      }),
    );
  } else {
    notes.push('not selected');
  }
  if (summary && targets.minDataset) {
    const { users = 0, wearSessions = 0 } = inputs.dataset;
    if (users < targets.minDataset.users || wearSessions < targets.minDataset.wearSessions) {
      notes.push(
        `smaller data set than the target's (${number(users)} users, ${number(wearSessions)} sessions)`,
      );
    }
  }
  const note = notes.join('; ');
  const rows: TargetRow[] = [];
  const perRequest = benchmark.eventsPerRequest ?? 1;
  if (targets.minThroughputRatio !== undefined) {
    const want = targets.minThroughputRatio;
    const rate = summary?.medianRequestsPerSec ?? null;
    const base = baseline?.medianRequestsPerSec ?? null;
    let figure: { text: string; pass: boolean } | null = null;
    if (rate !== null && base) {
      const ratio = (rate * perRequest) / base;
      figure = {
        text:
          perRequest === 1
            ? `${percent(ratio)} (${number(rate)} vs ${number(base)} req/s)`
            : `${number(rate * perRequest)} events/s = ${ratio.toFixed(2)} × ${number(base)} req/s`,
        pass: ratio >= want,
      };
    }
    rows.push(
      row(
        `${targets.title}: ${perRequest === 1 ? 'throughput' : 'events/s'}`,
        perRequest === 1 ? `≥ ${Math.round(want * 100)} % of bare Koa` : `≥ ${want} × bare Koa's req/s`,
        figure,
        note,
      ),
    );
  }
  if (targets.maxP99Ms !== undefined) {
    const p99 = summary?.medianLatencyMs?.p99;
    rows.push(
      row(
        `${targets.title}: p99`,
        `≤ ${targets.maxP99Ms} ms`,
        p99 === undefined ? null : { text: ms(p99), pass: p99 <= targets.maxP99Ms },
        note,
      ),
    );
  }
  return rows;
}

function jobsRows(result: ReminderJobsResult | null): TargetRow[] {
  const ratio = result?.ratioToNoop ?? null;
  const figure =
    ratio === null
      ? null
      : {
          text: `${percent(ratio)} (${number(result!.medianReminderJobsPerSec!)} vs ${number(result!.medianNoopJobsPerSec!)} jobs/s)`,
          pass: ratio >= REMINDER_JOBS_MIN_RATIO,
        };
  const note = !result
    ? 'not selected'
    : [
        runsNote({
          valid: result.validRuns,
          measured: result.measuredRuns,
          noisy: result.noisyRuns,
          status: result.status,
        }),
        ...result.problems,
      ].join('; ');
  return [
    row(
      'Reminder schedule jobs against a loopback stub OneSignal',
      `≥ ${REMINDER_JOBS_MIN_RATIO * 100} % of no-op jobs/s`,
      figure,
      note,
    ),
  ];
}

function e2eRows(result: HubspotE2eResult | null): TargetRow[] {
  const latency = result?.latencyMs ?? null;
  const note = !result
    ? 'not selected'
    : [
        `${result.status === 'ok' ? '' : 'INVALID: '}${number(result.processed)}/${number(result.events)} events ` +
          `at ${result.achievedEventsPerSec === null ? '—' : number(result.achievedEventsPerSec)} events/s`,
        ...(result.warnings.length > 0 ? ['noisy'] : []),
        ...result.problems,
      ].join('; ');
  const title = `End to end, HubSpot acknowledgement → user row updated, at ${result?.rateEventsPerSec ?? 200} events/s`;
  return [
    row(
      `${title}: p50`,
      `≤ ${HUBSPOT_E2E_TARGETS.maxP50Ms} ms`,
      latency && { text: ms(latency.p50, 1), pass: latency.p50 <= HUBSPOT_E2E_TARGETS.maxP50Ms },
      note,
    ),
    row(
      `${title}: p99`,
      `≤ ${HUBSPOT_E2E_TARGETS.maxP99Ms} ms`,
      latency && { text: ms(latency.p99, 1), pass: latency.p99 <= HUBSPOT_E2E_TARGETS.maxP99Ms },
      note,
    ),
  ];
}

function saturationRows(result: HubspotE2eResult | null): TargetRow[] {
  const saturation = result?.saturation ?? null;
  const targets = HUBSPOT_SATURATION_TARGETS;
  const note = !result
    ? 'not selected'
    : !saturation
      ? 'not reached'
      : [
          runsNote({
            valid: saturation.validRuns,
            measured: saturation.runs.length,
            noisy: saturation.runs.filter((run) => run.warnings.length > 0).length,
            status: saturation.validRuns === saturation.runs.length ? 'ok' : 'invalid',
          }),
          ...saturation.runs.flatMap((run) => run.problems),
        ].join('; ');
  const rate = saturation?.medianRequestsPerSec ?? null;
  const p99 = saturation?.medianP99Ms ?? null;
  const drain = saturation?.maxDrainSeconds ?? null;
  const title = 'API and worker together: HubSpot acknowledgement, 1 event per request, 32 connections';
  return [
    row(
      `${title}, every event applied`,
      `≥ ${number(targets.minRequestsPerSec)} req/s`,
      rate === null ? null : { text: `${number(rate)} req/s`, pass: rate >= targets.minRequestsPerSec },
      note,
    ),
    row(
      `${title}: p99`,
      `≤ ${targets.maxP99Ms} ms`,
      p99 === null ? null : { text: ms(p99), pass: p99 <= targets.maxP99Ms },
      note,
    ),
    row(
      `${title}: backlog gone after the load stops (slowest run)`,
      `≤ ${targets.maxDrainSeconds} s`,
      drain === null ? null : { text: `${drain.toFixed(2)} s`, pass: drain <= targets.maxDrainSeconds },
      note,
    ),
  ];
}

/** MB as the issue says it (10⁶ bytes), with the MiB the other tables use. */
const megabytes = (mib: number) => `${((mib * 1024 * 1024) / 1e6).toFixed(0)} MB (${mib.toFixed(0)} MiB)`;

function memoryRows(memory: readonly MemoryReading[]): TargetRow[] {
  return memory.map((reading) => {
    const mib = reading.rssMiB;
    const peak = reading.peakMiB ?? null;
    return row(
      `${reading.process} resident memory after ${reading.after}`,
      `≤ ${MAX_RSS_MB} MB`,
      mib === null ? null : { text: megabytes(mib), pass: (mib * 1024 * 1024) / 1e6 <= MAX_RSS_MB },
      mib === null
        ? reading.selected
          ? 'not measured'
          : 'not selected'
        : peak !== null && peak > mib
          ? `largest after one run: ${megabytes(peak)}`
          : '',
    );
  });
}

export function targetRows(inputs: TargetInputs): TargetRow[] {
  return [
    ...inputs.benchmarks.filter((b) => b.targets).flatMap((b) => httpRows(b, inputs)),
    ...jobsRows(inputs.reminderJobs),
    ...e2eRows(inputs.hubspotE2e),
    ...saturationRows(inputs.hubspotE2e),
    ...memoryRows(inputs.memory),
  ];
}

/** The table as Markdown (printed, written to summary.md, pasted into bench/README.md). */
export function targetTable(rows: readonly TargetRow[]): string {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  return [
    '| target | measured | target | result | runs |',
    '|---|---:|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${cell(r.target)} | ${cell(r.measured)} | ${cell(r.want)} | ${r.result === 'not measured' ? r.result : `**${r.result}**`} | ${cell(r.note || '—')} |`,
    ),
  ].join('\n');
}

import type { Result } from 'autocannon';

/** One timed run of one benchmark, as recorded in bench/results/<name>.json. */
export interface RunResult {
  index: number;
  warmup: boolean;
  startedAt: string;
  durationSeconds: number;
  /** Mean of autocannon's per-second samples. */
  requestsPerSec: number;
  requestsTotal: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  /** Response bytes (headers included) per 2xx response. */
  bytesPerResponse: number;
  /**
   * CPU used while autocannon ran, in cores (1 = one core kept busy): by the server under
   * test, the load process, the bench database's Postgres backends, Redis, and everything
   * else on the machine (other people's work competing for the same 2 cores).
   */
  cpuCores?: Record<string, number>;
  /** Cores busy machine-wide just before the run, while the bench itself was idle. */
  backgroundCoresBefore?: number;
  /** The server's resident memory right after the run. */
  serverRssMiB?: number;
  /** Empty when the run is valid; a run with any problem is left out of the medians. */
  problems: string[];
  /** Doubts that do not invalidate the run (e.g. other processes competed for the CPU). */
  warnings: string[];
}

export interface Summary {
  name: string;
  description: string;
  /** `ok` only when every measured run was valid. */
  status: 'ok' | 'invalid';
  validRuns: number;
  measuredRuns: number;
  /** Measured runs during which other processes used a noticeable share of the CPU. */
  noisyRuns: number;
  medianRequestsPerSec: number | null;
  medianLatencyMs: { p50: number; p90: number; p99: number; max: number } | null;
  /** Median req/s over the same invocation's baseline median req/s. */
  ratioToBaseline: number | null;
  baseline: string | null;
  bytesPerResponse: number | null;
  /** Median over valid runs of the server's CPU time per response (server cores ÷ req/s). */
  serverCpuMsPerRequest: number | null;
  /** The server's largest resident memory seen after a run. */
  maxServerRssMiB: number | null;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** autocannon's result → one run, with every reason it cannot be trusted. */
export function toRunResult(
  result: Result,
  run: { index: number; warmup: boolean; startedAt: string },
): RunResult {
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) {
    statusCodes[code] = (stats as { count: number }).count;
  }
  const ok = result['2xx'];
  const problems: string[] = [];
  if (result.errors > 0) problems.push(`${result.errors} connection errors (${result.timeouts} timeouts)`);
  if (result.non2xx > 0) {
    const codes = Object.entries(statusCodes).filter(([code]) => !code.startsWith('2'));
    problems.push(`${result.non2xx} non-2xx responses (${codes.map(([c, n]) => `${c}: ${n}`).join(', ')})`);
  }
  if (ok === 0) problems.push('no successful response');
  return {
    ...run,
    durationSeconds: result.duration,
    requestsPerSec: result.requests.average,
    requestsTotal: result.requests.total,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.mean,
    },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCodes,
    bytesPerResponse: ok > 0 ? Math.round(result.throughput.total / ok) : 0,
    problems,
    warnings: [],
  };
}

/** A run whose load process failed outright. */
export function failedRun(
  run: { index: number; warmup: boolean; startedAt: string },
  error: Error,
): RunResult {
  return {
    ...run,
    durationSeconds: 0,
    requestsPerSec: 0,
    requestsTotal: 0,
    latencyMs: { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 },
    errors: 0,
    timeouts: 0,
    non2xx: 0,
    statusCodes: {},
    bytesPerResponse: 0,
    problems: [`load process failed: ${error.message}`],
    warnings: [],
  };
}

export function summarise(
  benchmark: { name: string; description: string },
  runs: readonly RunResult[],
  baseline: { name: string; medianRequestsPerSec: number | null } | null,
): Summary {
  const measured = runs.filter((run) => !run.warmup);
  const valid = measured.filter((run) => run.problems.length === 0);
  const pick = (value: (run: RunResult) => number) => median(valid.map(value));
  const medianRequestsPerSec = pick((run) => run.requestsPerSec);
  const medianLatencyMs =
    valid.length === 0
      ? null
      : {
          p50: pick((run) => run.latencyMs.p50)!,
          p90: pick((run) => run.latencyMs.p90)!,
          p99: pick((run) => run.latencyMs.p99)!,
          max: pick((run) => run.latencyMs.max)!,
        };
  const ratioToBaseline =
    baseline?.medianRequestsPerSec && medianRequestsPerSec !== null
      ? medianRequestsPerSec / baseline.medianRequestsPerSec
      : null;
  return {
    name: benchmark.name,
    description: benchmark.description,
    status: valid.length === measured.length && measured.length > 0 ? 'ok' : 'invalid',
    validRuns: valid.length,
    measuredRuns: measured.length,
    noisyRuns: measured.filter((run) => run.warnings.length > 0).length,
    medianRequestsPerSec,
    medianLatencyMs,
    ratioToBaseline,
    baseline: baseline?.name ?? null,
    bytesPerResponse: pick((run) => run.bytesPerResponse),
    serverCpuMsPerRequest: median(
      valid
        .filter((run) => run.cpuCores?.server !== undefined && run.requestsPerSec > 0)
        .map((run) => (run.cpuCores!.server! / run.requestsPerSec) * 1000),
    ),
    maxServerRssMiB: runs.some((run) => run.serverRssMiB !== undefined)
      ? Math.max(...runs.map((run) => run.serverRssMiB ?? 0))
      : null,
  };
}

const fixed = (value: number | null | undefined, digits = 0) =>
  value === null || value === undefined ? '—' : value.toFixed(digits);

/** autocannon's latencies are whole milliseconds: 0 means under 1 ms. */
const ms = (value: number | null | undefined) => (value === 0 ? '<1' : fixed(value));

/** The summary as a Markdown table (printed, and pasted into bench/README.md). */
export function summaryTable(summaries: readonly Summary[]): string {
  const header = [
    '| benchmark | status | median req/s | p50 ms | p90 ms | p99 ms | ratio to baseline | server CPU ms/req | server RSS MiB | bytes/resp |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const rows = summaries.map((s) =>
    [
      s.name,
      (s.status === 'ok' ? 'ok' : `INVALID (${s.validRuns}/${s.measuredRuns} valid)`) +
        (s.noisyRuns > 0 ? ` (${s.noisyRuns} noisy)` : ''),
      fixed(s.medianRequestsPerSec),
      ms(s.medianLatencyMs?.p50),
      ms(s.medianLatencyMs?.p90),
      ms(s.medianLatencyMs?.p99),
      s.ratioToBaseline === null ? '—' : `${(s.ratioToBaseline * 100).toFixed(1)} %`,
      fixed(s.serverCpuMsPerRequest, 3),
      fixed(s.maxServerRssMiB),
      fixed(s.bytesPerResponse),
    ].join(' | '),
  );
  return [...header, ...rows.map((row) => `| ${row} |`)].join('\n');
}

/** `server 0.95 load 0.40 …`: a run's CPU use by process group, in cores. */
export function formatCores(cores: Record<string, number> | undefined): string {
  if (!cores) return '';
  const groups = Object.entries(cores).map(([group, value]) => `${group} ${value.toFixed(2)}`);
  return `, CPU cores: ${groups.join(' ')}`;
}

/** `  INVALID: …  WARNING: …` for a run with problems or warnings. */
export function healthText(run: { problems: string[]; warnings: string[] }): string {
  return (
    (run.problems.length === 0 ? '' : `  INVALID: ${run.problems.join('; ')}`) +
    (run.warnings.length === 0 ? '' : `  WARNING: ${run.warnings.join('; ')}`)
  );
}

/** One line per run, as the runner prints it while going. */
export function runLine(name: string, run: RunResult): string {
  const label = run.warmup ? 'warm-up' : `run ${run.index}`;
  if (run.durationSeconds === 0) return `  ${name} ${label}: no figures${healthText(run)}`;
  return (
    `  ${name} ${label}: ${fixed(run.requestsPerSec)} req/s, p50 ${run.latencyMs.p50} ms, ` +
    `p99 ${run.latencyMs.p99} ms, max ${run.latencyMs.max} ms${formatCores(run.cpuCores)}${healthText(run)}`
  );
}

/**
 * What tracing costs the API: each traced benchmark's server CPU per request and
 * throughput against its untraced twin's, measured in the same invocation (benchmarks.ts
 * `tracingOf`). Ratios, not absolute figures, travel between machines.
 */
import type { Benchmark } from '../benchmarks.js';
import type { Summary } from './results.js';

const percent = (value: number) => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)} %`;

export function tracingCostTable(
  summaries: readonly Summary[],
  benchmarks: readonly Benchmark[],
  otlpExports: number,
): string {
  const rows = summaries.flatMap((summary) => {
    const twinName = benchmarks.find((b) => b.name === summary.name)?.tracingOf;
    const twin = summaries.find((candidate) => candidate.name === twinName);
    if (!twinName || !twin) return [];
    const cpu = summary.serverCpuMsPerRequest;
    const twinCpu = twin.serverCpuMsPerRequest;
    const rps = summary.medianRequestsPerSec;
    const twinRps = twin.medianRequestsPerSec;
    return [
      `| ${summary.name} | ${twinName} | ${cpu?.toFixed(3) ?? '—'} vs ${twinCpu?.toFixed(3) ?? '—'} | ` +
        `${cpu && twinCpu ? percent(cpu / twinCpu - 1) : '—'} | ` +
        `${rps && twinRps ? percent(rps / twinRps - 1) : '—'} | ` +
        `${summary.medianLatencyMs?.p99.toFixed(1) ?? '—'} vs ${twin.medianLatencyMs?.p99.toFixed(1) ?? '—'} |`,
    ];
  });
  return [
    `Tracing's cost (traced API vs the same benchmark untraced, same run; ${otlpExports} OTLP exports received):`,
    '',
    '| traced | untraced twin | server CPU ms/req | CPU/req | req/s | p99 ms |',
    '|---|---|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

import type pg from 'pg';
import type { Schedule } from './schedule.js';

/** What every phase of `npm run bench` shares: where things are, and the time plan. */
export interface BenchContext {
  root: string;
  resultsDir: string;
  logsDir: string;
  /** Postgres server address without a database (`postgres://user@host:port`). */
  postgresServerUrl: string;
  redisUrl: string;
  /** The main bench database's name; the other phases' databases and queue prefixes derive from it. */
  database: string;
  /** Measured runs (rounds) per benchmark, after one warm-up. */
  runs: number;
  warmupSeconds: number;
  schedule: Schedule;
  /** Where API and worker processes write a .cpuprofile on exit (`--cpu-prof`); unset: no profiling. */
  cpuProfileDir?: string | undefined;
  /** A connection to the `postgres` database, to find the bench databases' backends. */
  monitor: pg.Client;
  /** Redis's pid when it runs on this machine (its CPU is then the bench's, not "other"). */
  redisPid: number | undefined;
}

/** What a run of a queue benchmark records besides its figures: how trustworthy it is. */
export interface RunHealth {
  /** CPU used during the run, in cores, by each process group and by everything else. */
  cpuCores?: Record<string, number>;
  /** Cores busy machine-wide just before the run, while the bench itself was idle. */
  backgroundCoresBefore?: number;
  /** Empty when the run is valid; a run with any problem is left out of the medians. */
  problems: string[];
  /** Doubts that do not invalidate the run (e.g. other processes competed for the CPU). */
  warnings: string[];
}

/** The warning a run gets when the rest of the machine used `quietCores` or more. */
export function noiseWarnings(otherCores: number, quietCores: number): string[] {
  return otherCores >= quietCores
    ? [`other processes used ${otherCores.toFixed(2)} cores during the run`]
    : [];
}

/**
 * CPU accounting from /proc (Linux), so each run can say how busy the server under test
 * was and whether anything else on the machine competed for its 2 cores meanwhile.
 */
import { readFileSync } from 'node:fs';

const USER_HZ = 100; // clock ticks per second of /proc's counters on Linux

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ; // utime, stime
  } catch {
    return undefined;
  }
}

/** Resident memory of a process in MiB. */
export function residentMiB(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds the whole machine has spent running processes (user, nice, system) or
 * stolen by the hypervisor, over every core. Interrupt time is left out: loopback
 * networking is the bench's own traffic, and it lands there.
 */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [user, nice, system, , , , , steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (steal ?? 0)) / USER_HZ;
}

/** CPU seconds per pid, for a set of processes (e.g. the bench database's backends). */
export function cpuSecondsOf(pids: readonly number[]): Map<number, number> {
  const seconds = new Map<number, number>();
  for (const pid of pids) {
    const value = cpuSeconds(pid);
    if (value !== undefined) seconds.set(pid, value);
  }
  return seconds;
}

/** Cores kept busy machine-wide over `ms`: while the bench is idle, that is everyone else. */
export async function busyCores(ms: number): Promise<number> {
  const before = machineBusySeconds();
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return (machineBusySeconds() - before) / ((performance.now() - start) / 1000);
}

/**
 * Waits (bounded by `maxWaitMs`) until other processes use less than `thresholdCores`,
 * sampling one second at a time. Returns the last sample: the background load the next
 * run starts with.
 */
export async function waitForQuiet(thresholdCores: number, maxWaitMs: number): Promise<number> {
  const deadline = Date.now() + maxWaitMs;
  let load = await busyCores(1000);
  while (load >= thresholdCores && Date.now() < deadline) load = await busyCores(1000);
  return load;
}

/** Where the pids of one group of processes come from (a fixed list, or asked at each reading). */
export type PidSource = () => readonly number[] | Promise<readonly number[]>;

export interface CpuReading {
  wallSeconds: number;
  /** Cores used by each named group of processes, and by everything else on the machine. */
  cores: Record<string, number> & { other: number };
}

/**
 * CPU accounting over a window of time: the cores each named group of processes used
 * (the server under test, Postgres backends, Redis…) and everything else on the machine.
 * A process that appeared during the window counts from zero. `reportedSeconds` adds
 * processes that exited before the end (the load process reports its own CPU time).
 */
export class CpuWindow {
  private constructor(
    private readonly groups: Record<string, PidSource>,
    private readonly before: Map<string, Map<number, number>>,
    private readonly startedAt: number,
    private readonly machineBefore: number,
  ) {}

  static async start(groups: Record<string, PidSource>): Promise<CpuWindow> {
    const before = new Map<string, Map<number, number>>();
    for (const [name, pids] of Object.entries(groups)) before.set(name, cpuSecondsOf(await pids()));
    return new CpuWindow(groups, before, performance.now(), machineBusySeconds());
  }

  async stop(reportedSeconds: Record<string, number> = {}): Promise<CpuReading> {
    const used: Record<string, number> = { ...reportedSeconds };
    for (const [name, pids] of Object.entries(this.groups)) {
      let seconds = 0;
      const before = this.before.get(name)!;
      for (const [pid, after] of cpuSecondsOf(await pids())) seconds += after - (before.get(pid) ?? 0);
      used[name] = (used[name] ?? 0) + seconds;
    }
    const wallSeconds = (performance.now() - this.startedAt) / 1000;
    const ours = Object.values(used).reduce((sum, value) => sum + value, 0);
    const other = Math.max(0, machineBusySeconds() - this.machineBefore - ours);
    const cores: Record<string, number> = {};
    for (const [name, seconds] of Object.entries(used)) cores[name] = seconds / wallSeconds;
    return { wallSeconds, cores: { ...cores, other: other / wallSeconds } };
  }
}

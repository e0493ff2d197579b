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

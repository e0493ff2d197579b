/**
 * The invocation's time limit (`--max-minutes`) and the waits for a quiet machine it can
 * afford. Every measured step (an HTTP run, a round of reminder jobs, the end-to-end
 * run) is registered up front with an estimate of its duration. Before each step the
 * runner waits for the rest of the machine to calm down, but only for the time the plan
 * leaves spare, shared evenly among the steps still to come, and at most `--quiet-wait`;
 * a step that would not end before the deadline is not started.
 */
import { waitForQuiet } from './cpu.js';

/** `backgroundCores`: the machine's load (all of it others') just before the step, when it waited. */
export type StepStart = { ok: true; backgroundCores?: number } | { ok: false; reason: string };

export class Schedule {
  /** Steps not yet started, with their estimated duration in ms. */
  private readonly pending = new Map<string, number>();

  constructor(
    readonly startedAt: number,
    readonly deadline: number,
    /** Other processes using this many cores or more make a run noisy. */
    readonly quietCores: number,
    private readonly maxQuietWaitMs: number,
  ) {}

  add(id: string, estimatedMs: number): void {
    if (this.pending.has(id)) throw new Error(`step ${id} planned twice`);
    this.pending.set(id, estimatedMs);
  }

  /** The time the remaining plan leaves before the deadline, in ms (negative: late). */
  spareMs(): number {
    let planned = 0;
    for (const ms of this.pending.values()) planned += ms;
    return this.deadline - Date.now() - planned;
  }

  /**
   * Starts a planned step: waits (within its share of the spare time) until the rest of
   * the machine uses less than `quietCores`, or refuses when the step would end past the
   * deadline. `wait: false` for a warm-up, whose noise does not matter.
   */
  async start(id: string, { wait = true } = {}): Promise<StepStart> {
    const estimate = this.pending.get(id);
    if (estimate === undefined) throw new Error(`step ${id} was not planned`);
    const steps = this.pending.size;
    const share = Math.max(0, this.spareMs() / steps);
    this.pending.delete(id);
    if (Date.now() + estimate > this.deadline) {
      return { ok: false, reason: `not run: --max-minutes would be exceeded (${id})` };
    }
    if (!wait) return { ok: true };
    const allowance = Math.min(this.maxQuietWaitMs, share);
    return { ok: true, backgroundCores: await waitForQuiet(this.quietCores, allowance) };
  }

  /** Drops the planned steps that will not run (those whose id starts with `prefix`): a phase failed. */
  cancel(prefix: string): void {
    for (const id of [...this.pending.keys()]) if (id.startsWith(prefix)) this.pending.delete(id);
  }

  elapsedSeconds(): number {
    return (Date.now() - this.startedAt) / 1000;
  }
}

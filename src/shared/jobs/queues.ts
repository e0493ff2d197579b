import { Queue, type JobsOptions } from 'bullmq';
import type { RedisClient } from '../redis.js';
import { queueTelemetry } from '../tracing/queue-telemetry.js';

/**
 * How jobs are declared. Each feature declares its queue and its jobs in its own
 * `jobs.ts` (e.g. src/reminders/jobs.ts): the queue's concurrency and limiter, its
 * attempts, and one definition per job. A job always names the row that says what must
 * happen; its id is derived from that row, so enqueuing the same work twice (request
 * retry, sweeper) leaves one job. Periodic work (the sweep, the prune) is not a job:
 * its clock is in Postgres (src/worker/maintenance/).
 */
export interface QueueDefinition<Name extends string = string> {
  readonly name: Name;
  /** Jobs one worker process runs at once from this queue. */
  readonly concurrency: number;
  /** A BullMQ rate limiter for the queue's workers, when it needs one (say why where it is set). */
  readonly limiter?: { max: number; duration: number };
  readonly jobOptions: JobsOptions;
  /** Every job declared on the queue, in declaration order. */
  readonly jobs: readonly JobDefinition[];
}

export interface JobDefinition {
  readonly queue: QueueDefinition;
  /** The BullMQ job name, unique within its queue. */
  readonly name: string;
}

export interface JobData {
  /** The row this job acts on; the processor re-reads it and acts on its current state. */
  rowId: string;
  /**
   * Every row of a batch, `rowId` first, when one job acts on several rows of one kind
   * in order (a HubSpot delivery: one Redis write for a hundred events, not a hundred).
   */
  rowIds?: string[];
  /** The request that caused the job, so its log lines can be followed end to end. */
  requestId?: string;
}

export interface JobRequest {
  job: JobDefinition;
  rowId: string;
  /** See JobData.rowIds. */
  rowIds?: string[];
  /** Run no earlier than this (e.g. a reminder handed over later). */
  runAt?: Date;
}

export const DEFAULT_JOB_OPTIONS = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 2000, jitter: 0.5 },
  // Completed jobs leave Redis at once (the row is the record); failed ones stay a
  // week for Bull Board, then go, so Redis memory stays bounded.
  removeOnComplete: true,
  removeOnFail: { age: 7 * 24 * 3600 },
} as const satisfies JobsOptions;

/** A queue and the means to declare its jobs: `const job = queue.job('do-something')`. */
export interface QueueDeclaration<Name extends string> extends QueueDefinition<Name> {
  job(name: string): JobDefinition;
}

export function defineQueue<Name extends string>(spec: {
  name: Name;
  concurrency: number;
  limiter?: { max: number; duration: number };
  /** Attempts per job before it ends failed (default DEFAULT_JOB_OPTIONS.attempts). */
  attempts?: number;
}): QueueDeclaration<Name> {
  const jobs: JobDefinition[] = [];
  const queue: QueueDeclaration<Name> = {
    name: spec.name,
    concurrency: spec.concurrency,
    ...(spec.limiter ? { limiter: spec.limiter } : {}),
    jobOptions: { ...DEFAULT_JOB_OPTIONS, ...(spec.attempts ? { attempts: spec.attempts } : {}) },
    jobs,
    job(name) {
      if (jobs.some((job) => job.name === name))
        throw new Error(`Job ${name} is declared twice on ${spec.name}`);
      const job: JobDefinition = { queue, name };
      jobs.push(job);
      return job;
    },
  };
  return queue;
}

/** Deterministic: BullMQ refuses ':' in custom ids, and ignores an add whose id already exists. */
export function jobIdFor(job: JobDefinition, rowId: string): string {
  return `${job.name}-${rowId}`;
}

/** One BullMQ queue per definition, on one connection. */
export class Queues {
  private readonly byName: ReadonlyMap<string, Queue>;

  constructor(
    readonly definitions: readonly QueueDefinition[],
    connection: RedisClient,
    prefix: string,
  ) {
    this.byName = new Map(
      definitions.map((definition) => {
        const queue = new Queue(definition.name, {
          connection,
          prefix,
          defaultJobOptions: definition.jobOptions,
          ...queueTelemetry(),
        });
        queue.on('error', () => undefined); // surfaced by the failing add and by /ready
        return [definition.name, queue];
      }),
    );
  }

  /** The queue a definition (or a job's queue) names; a definition not given at construction is a bug. */
  of(definition: QueueDefinition | JobDefinition): Queue {
    const name = 'queue' in definition ? definition.queue.name : definition.name;
    const queue = this.byName.get(name);
    if (!queue) throw new Error(`Queue ${name} is not one of this process's queues`);
    return queue;
  }

  all(): Queue[] {
    return [...this.byName.values()];
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((queue) => queue.close()));
  }
}

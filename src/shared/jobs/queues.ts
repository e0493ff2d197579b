import { Queue, type JobsOptions } from 'bullmq';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../redis.js';
import { currentContext } from '../request-context.js';

/**
 * Every queue and job of the system, in one place. A job always names the row that
 * says what must happen; its id is derived from that row, so enqueuing the same work
 * twice (request retry, sweeper) leaves one job. Periodic work (the sweep, the prune)
 * is not a job: its clock is in Postgres (worker/maintenance/).
 */
export const QUEUE_NAMES = ['accounts', 'reminders', 'images', 'hubspot-events', 'dentist-requests'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export const JOBS = {
  processHubspotEvent: { queue: 'hubspot-events', name: 'process-hubspot-event' },
  eraseAccount: { queue: 'accounts', name: 'erase-account' },
  scheduleReminder: { queue: 'reminders', name: 'schedule-reminder' },
  cancelReminder: { queue: 'reminders', name: 'cancel-reminder' },
  deleteImage: { queue: 'images', name: 'delete-image' },
  submitDentistChange: { queue: 'dentist-requests', name: 'submit-dentist-change' },
} as const satisfies Record<string, { queue: QueueName; name: string }>;

export type JobKey = keyof typeof JOBS;

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
  job: JobKey;
  rowId: string;
  /** See JobData.rowIds. */
  rowIds?: string[];
  /** Run no earlier than this (e.g. a reminder handed over later). */
  runAt?: Date;
}

/** Deterministic: BullMQ refuses ':' in custom ids, and ignores an add whose id already exists. */
export function jobIdFor(job: JobKey, rowId: string): string {
  return `${JOBS[job].name}-${rowId}`;
}

export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 2000, jitter: 0.5 },
  // Completed jobs leave Redis at once (the row is the record); failed ones stay a
  // week for Bull Board, then go, so Redis memory stays bounded.
  removeOnComplete: true,
  removeOnFail: { age: 7 * 24 * 3600 },
};

export type Queues = Record<QueueName, Queue>;

export function createQueues(connection: RedisClient, prefix: string): Queues {
  return Object.fromEntries(
    QUEUE_NAMES.map((name) => {
      const queue = new Queue(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
      queue.on('error', () => undefined); // surfaced by the failing add and by /ready
      return [name, queue];
    }),
  ) as Queues;
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((queue) => queue.close()));
}

/**
 * Enqueues jobs for rows that are already committed. It never throws: if Redis is
 * away the request still succeeds, and the sweeper enqueues the rows later.
 */
export class Dispatcher {
  constructor(
    private readonly queues: Queues,
    private readonly logger: Logger,
    /** Told when an enqueue failed, so that the rows are swept soon (maintenance-runs.ts). */
    private readonly onEnqueueFailed: () => void = () => undefined,
  ) {}

  /**
   * For the sweeper: a row still actionable whose job already finished (its last attempt
   * crashed before the row was updated) would be ignored by `add`, its id being taken;
   * the finished job is removed first so the row gets a new one.
   */
  async redispatch(requests: JobRequest[]): Promise<void> {
    await Promise.all(
      requests.map(async (request) => {
        const job = await this.queues[JOBS[request.job].queue]
          .getJob(jobIdFor(request.job, request.rowId))
          .catch(() => undefined);
        if (job && ((await job.isFailed()) || (await job.isCompleted())))
          await job.remove().catch(() => undefined);
      }),
    );
    await this.dispatch(requests);
  }

  /**
   * One `addBulk` per queue: a batch of a hundred jobs is one Redis round trip, not
   * a hundred. A queue's batch fails or succeeds as a whole; a failed one
   * is logged row by row, for the sweeper to enqueue later.
   */
  async dispatch(requests: JobRequest[]): Promise<void> {
    const requestId = currentContext()?.requestId;
    const byQueue = new Map<QueueName, JobRequest[]>();
    for (const request of requests) {
      const queue = JOBS[request.job].queue;
      const batch = byQueue.get(queue);
      if (batch) batch.push(request);
      else byQueue.set(queue, [request]);
    }
    await Promise.all(
      [...byQueue].map(async ([queue, batch]) => {
        const jobs = batch.map((request) => ({
          name: JOBS[request.job].name,
          data: {
            rowId: request.rowId,
            ...(request.rowIds ? { rowIds: request.rowIds } : {}),
            ...(requestId ? { requestId } : {}),
          } satisfies JobData,
          opts: {
            jobId: jobIdFor(request.job, request.rowId),
            delay: request.runAt ? Math.max(0, request.runAt.getTime() - Date.now()) : 0,
          },
        }));
        try {
          // A lone job goes by `add`: addBulk builds an ioredis pipeline, which copies
          // every one of BullMQ's scripts onto itself (5 % of an acknowledgement's CPU).
          const [only] = jobs;
          if (only && jobs.length === 1) await this.queues[queue].add(only.name, only.data, only.opts);
          else await this.queues[queue].addBulk(jobs);
        } catch (error) {
          this.onEnqueueFailed();
          for (const { name, data } of jobs) {
            this.logger.warn(
              { err: error, queue, job: name, row_id: data.rowId },
              'enqueue failed; the sweeper will enqueue this row later',
            );
          }
        }
      }),
    );
  }
}

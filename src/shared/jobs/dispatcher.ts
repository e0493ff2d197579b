import type { Logger } from '../logger.js';
import { currentContext } from '../request-context.js';
import { jobIdFor, type JobData, type JobRequest, type Queues } from './queues.js';

/**
 * Enqueues jobs for rows that are already committed. It never throws: if Redis is
 * away the request still succeeds, and the sweeper enqueues the rows later.
 */
export class Dispatcher {
  constructor(
    private readonly queues: Queues,
    private readonly logger: Logger,
    /** Told when an enqueue failed, so that the rows are swept soon (src/shared/db/maintenance-runs.ts). */
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
        const job = await this.queues
          .of(request.job)
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
    const byQueue = new Map<string, JobRequest[]>();
    for (const request of requests) {
      const queue = request.job.queue.name;
      const batch = byQueue.get(queue);
      if (batch) batch.push(request);
      else byQueue.set(queue, [request]);
    }
    await Promise.all(
      [...byQueue].map(async ([queue, batch]) => {
        const target = this.queues.of(batch[0]!.job);
        const jobs = batch.map((request) => ({
          name: request.job.name,
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
          if (only && jobs.length === 1) await target.add(only.name, only.data, only.opts);
          else await target.addBulk(jobs);
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

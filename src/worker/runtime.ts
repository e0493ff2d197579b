import { hostname } from 'node:os';
import { DelayedError, RateLimitError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { jarvisFromConfig } from '../shared/clients/jarvis.js';
import { RESPONSE_CLASSES } from '../shared/clients/response-classes.js';
import { oneSignalFromConfig } from '../shared/clients/onesignal.js';
import { s3FromConfig } from '../shared/clients/s3.js';
import type { Config } from '../shared/config.js';
import { catchUpRequester } from '../shared/db/maintenance-runs.js';
import { createKnex } from '../shared/db/knex.js';
import type { Logger } from '../shared/logger.js';
import { Metrics } from '../shared/metrics.js';
import { Dispatcher } from '../shared/jobs/dispatcher.js';
import { Queues, type JobData, type QueueDefinition } from '../shared/jobs/queues.js';
import { Readiness } from '../shared/readiness.js';
import { createRedis } from '../shared/redis.js';
import { runWithContext } from '../shared/request-context.js';
import { queueTelemetry } from '../shared/tracing/queue-telemetry.js';
import type { Processor, WorkerContext, WorkerFeature } from '../shared/jobs/context.js';
import { QUEUES } from '../queues.js';
import { MaintenanceLoop } from './maintenance/loop.js';
import { REDIS_MARKER, RedisMemory } from './maintenance/redis-memory.js';
import { periodicTasks } from './maintenance/tasks.js';

/** How a job attempt ended, for metrics: a delay or a rate limit is not a failure. */
function jobOutcome(error: unknown): string {
  if (error instanceof DelayedError) return 'delayed';
  if (error instanceof RateLimitError) return 'rate_limited';
  return 'failed';
}

export interface WorkerRuntime {
  context: WorkerContext;
  readiness: Readiness;
  metrics: Metrics;
  workers: Worker[];
  /** The periodic tasks' clock; absent when started without it (tests drive tasks by hand). */
  maintenance: MaintenanceLoop | undefined;
  /** Finishes active jobs (waiting at most `graceMs`), then closes every connection. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Refuses to start unless the features run exactly the service's queues, each with a
 * processor for every job declared on it (a missing one would otherwise strand rows).
 */
export function assertComplete(
  features: readonly WorkerFeature[],
  queues: readonly QueueDefinition[] = QUEUES,
): void {
  const problems: string[] = [];
  for (const queue of queues) {
    const feature = features.find((candidate) => candidate.queue === queue);
    if (!feature) {
      problems.push(`no worker feature for queue ${queue.name}`);
      continue;
    }
    for (const job of queue.jobs)
      if (!feature.processors.some((entry) => entry.job === job))
        problems.push(`no processor for job ${job.name}`);
  }
  for (const feature of features)
    if (!queues.includes(feature.queue)) problems.push(`queue ${feature.queue.name} is not in src/queues.ts`);
  if (problems.length > 0) throw new Error(`Worker features incomplete: ${problems.join('; ')}`);
}

export async function startWorkerRuntime(
  config: Config,
  logger: Logger,
  features: readonly WorkerFeature[],
  options: { maintenance?: boolean; maintenanceTickMs?: number } = {},
): Promise<WorkerRuntime> {
  assertComplete(features);
  const knex = createKnex(config.DATABASE_URL, {}, logger);
  const redis = createRedis(config, 'worker', logger);
  const queues = new Queues(QUEUES, redis, config.QUEUE_PREFIX);
  const readiness = new Readiness(knex, redis, config.QUEUE_PREFIX);
  const metrics = new Metrics({
    service: 'worker',
    queues,
    knex,
    readiness,
    sweepSources: features.flatMap((feature) => feature.sweepSources),
  });
  // Every series starts at 0, so the first exhausted job or failed call is an increase
  // Prometheus sees (a counter that appears at 1 reads as no increase).
  for (const feature of features)
    for (const { job } of feature.processors)
      metrics.jobsExhausted.inc({ queue: feature.queue.name, name: job.name }, 0);
  const counter = (upstream: string) => {
    for (const responseClass of RESPONSE_CLASSES)
      metrics.upstreamResponses.inc({ upstream, class: responseClass }, 0);
    return (responseClass: string) => metrics.upstreamResponses.inc({ upstream, class: responseClass });
  };
  const context: WorkerContext = {
    config,
    logger,
    metrics,
    knex,
    queues,
    dispatcher: new Dispatcher(
      queues,
      logger,
      catchUpRequester(knex, (error) => logger.warn({ err: error }, 'could not ask for a catch-up sweep')),
    ),
    onesignal: oneSignalFromConfig(config, counter('onesignal')),
    jarvis: jarvisFromConfig(config, counter('jarvis')),
    s3: s3FromConfig(config),
  };

  const run = (feature: WorkerFeature) => async (job: Job<JobData>, token?: string) => {
    const queue = feature.queue.name;
    const processJob: Processor | undefined = feature.processors.find(
      (entry) => entry.job.name === job.name,
    )?.process;
    if (!processJob) throw new UnrecoverableError(`Unknown job ${job.name} on queue ${queue}`);
    return runWithContext({ requestId: job.data.requestId ?? `job-${job.id ?? 'unknown'}` }, async () => {
      const started = process.hrtime.bigint();
      let outcome = 'completed';
      try {
        const result = await processJob(job, context, token);
        logger.debug({ queue, job: job.name, job_id: job.id }, 'job completed');
        return result;
      } catch (error) {
        outcome = jobOutcome(error);
        throw error;
      } finally {
        const labels = { queue, name: job.name, outcome };
        metrics.jobDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
        metrics.jobsTotal.inc(labels);
      }
    });
  };

  const workers = features.map((feature) => {
    const queue = feature.queue.name;
    const worker = new Worker<JobData>(queue, run(feature), {
      connection: redis,
      prefix: config.QUEUE_PREFIX,
      concurrency: feature.queue.concurrency,
      ...(feature.queue.limiter ? { limiter: feature.queue.limiter } : {}),
      lockDuration: config.WORKER_LOCK_DURATION_MS,
      stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
      ...queueTelemetry(),
    });
    worker.on('failed', (job, error) => {
      // BullMQ sets finishedOn only when the job moved to failed for good (no retry left).
      if (job?.finishedOn) metrics.jobsExhausted.inc({ queue, name: job.name });
      runWithContext({ requestId: job?.data.requestId ?? `job-${job?.id ?? 'unknown'}` }, () =>
        logger.warn(
          { queue, job: job?.name, job_id: job?.id, attempts: job?.attemptsMade, err: error },
          'job attempt failed',
        ),
      );
    });
    worker.on('error', (error) => logger.warn({ queue, err: error }, 'worker connection error'));
    return worker;
  });

  let maintenance: MaintenanceLoop | undefined;
  if (options.maintenance ?? true) {
    const memory = new RedisMemory(redis, `${config.QUEUE_PREFIX}:${REDIS_MARKER}`, hostname());
    maintenance = new MaintenanceLoop(
      context,
      periodicTasks(features),
      memory,
      metrics,
      options.maintenanceTickMs,
    );
    maintenance.start();
  }
  logger.info({ queues: features.map((feature) => feature.queue.name) }, 'worker started');

  return {
    context,
    readiness,
    metrics,
    workers,
    maintenance,
    async stop(graceMs = 8000) {
      await maintenance?.stop();
      // With Redis unreachable no active job can be completed, and BullMQ's graceful close
      // waits for a blocking connection that is still retrying (a refused certificate,
      // say) to end, which it never does: close at once then.
      const graceful = Promise.all(workers.map((worker) => worker.close(redis.status !== 'ready')));
      const timedOut = await Promise.race([
        graceful.then(() => false),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(true), graceMs).unref()),
      ]);
      if (timedOut) {
        logger.warn(
          { grace_ms: graceMs },
          'active jobs did not finish in time; they will be retried after the stall interval',
        );
        // A close already under way cannot be forced (BullMQ returns the pending one), so
        // it is left behind: dropping the connections below ends it, and the jobs' locks
        // expire for another worker to take them.
        graceful.catch(() => undefined);
      }
      await queues.close();
      context.s3.destroy();
      redis.disconnect();
      await knex.destroy();
    },
  };
}

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Queues } from './jobs/queues.js';

const JOB_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'failed',
  'completed',
] as const;

/**
 * Prometheus metrics (docs/operations.md#metrics), one registry per process. HTTP durations are labelled
 * by route *template* (never the raw path, which holds user ids), queue depth is read
 * from Redis at scrape time, and job metrics are recorded by the worker.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly jobDuration = new Histogram({
    name: 'bullmq_job_duration_seconds',
    help: 'Job processing time by queue, job name and outcome',
    labelNames: ['queue', 'name', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly jobsTotal = new Counter({
    name: 'bullmq_jobs_total',
    help: 'Jobs run by queue, job name and outcome (completed, failed, delayed, rate_limited)',
    labelNames: ['queue', 'name', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly maintenanceRuns = new Counter({
    name: 'maintenance_runs_total',
    help: 'Periodic task runs (sweep, prune) by this process, by outcome (completed, failed)',
    labelNames: ['task', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly maintenanceLastCompleted = new Gauge({
    name: 'maintenance_last_completed_timestamp_seconds',
    help: 'When this process last completed each periodic task (Unix time)',
    labelNames: ['task'] as const,
    registers: [this.registry],
  });

  readonly redisLapses = new Counter({
    name: 'redis_lapses_total',
    help: 'Times this worker saw Redis lose its data (data_lost) or its connection come back (reconnected)',
    labelNames: ['lapse'] as const,
    registers: [this.registry],
  });

  constructor(options: { service: string; queues?: Queues }) {
    this.registry.setDefaultLabels({ service: options.service });
    collectDefaultMetrics({ register: this.registry });
    const queues = options.queues;
    if (queues) {
      new Gauge({
        name: 'bullmq_queue_jobs',
        help: 'Jobs in each queue by state, read from Redis at scrape time',
        labelNames: ['queue', 'state'] as const,
        registers: [this.registry],
        async collect() {
          this.reset();
          await Promise.all(
            queues.all().map(async (queue) => {
              const counts = await queue.getJobCounts(...JOB_STATES).catch(() => undefined);
              for (const state of JOB_STATES)
                if (counts) this.set({ queue: queue.name, state }, counts[state] ?? 0);
            }),
          );
        },
      });
    }
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

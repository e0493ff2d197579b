import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { registerScrapedGauges, type ScrapeSources } from './scraped-gauges.js';

/**
 * Prometheus metrics (docs/operations.md#metrics), one registry per process. HTTP durations are labelled
 * by route *template* (never the raw path, which holds user ids), job and upstream metrics are
 * recorded by the worker, and what must stay true when a process has stopped (queue depth,
 * the sweeper's clock, the backlog, readiness) is read at scrape time (./scraped-gauges.ts).
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

  readonly jobsExhausted = new Counter({
    name: 'bullmq_jobs_exhausted_total',
    help: 'Jobs that failed for good (attempts used up, or unrecoverable), by queue and job name',
    labelNames: ['queue', 'name'] as const,
    registers: [this.registry],
  });

  readonly upstreamResponses = new Counter({
    name: 'upstream_responses_total',
    help: 'Calls to OneSignal and Jarvis by how they ended: 2xx, 3xx, 4xx, 5xx, timeout, network_error',
    labelNames: ['upstream', 'class'] as const,
    registers: [this.registry],
  });

  readonly hubspotEventsFailed = new Counter({
    name: 'hubspot_events_failed_total',
    help: 'HubSpot events that ended failed after their last attempt, left for ops to replay',
    registers: [this.registry],
  });

  readonly photoProcessingDuration = new Histogram({
    name: 'photo_processing_duration_seconds',
    help: 'Time to decode a photo and write its display version and thumbnail, by outcome (ready, failed)',
    labelNames: ['outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
    registers: [this.registry],
  });

  readonly photoProcessingFailures = new Counter({
    name: 'photo_processing_failures_total',
    help: 'Photos that ended failed, by reason (too_many_pixels, corrupt, type_mismatch, animated, timeout, processing_error)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly redisLapses = new Counter({
    name: 'redis_lapses_total',
    help: 'Times this worker saw Redis lose its data (data_lost) or its connection come back (reconnected)',
    labelNames: ['lapse'] as const,
    registers: [this.registry],
  });

  constructor(options: { service: string } & ScrapeSources) {
    this.registry.setDefaultLabels({ service: options.service });
    collectDefaultMetrics({ register: this.registry });
    registerScrapedGauges(this.registry, options);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

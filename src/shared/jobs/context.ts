import type { Job } from 'bullmq';
import type { Knex } from 'knex';
import type { JarvisClient } from '../clients/jarvis.js';
import type { OneSignalClient } from '../clients/onesignal.js';
import type { S3Storage } from '../clients/s3.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Dispatcher } from './dispatcher.js';
import type { JobData, JobDefinition, QueueDefinition, Queues } from './queues.js';
import type { SweepSource } from './sweep-source.js';

/** What a processor may use. Processors never parse HTTP and never see Koa. */
export interface WorkerContext {
  config: Config;
  logger: Logger;
  /** The worker's registry: processors count what the job metrics cannot see (e.g. a HubSpot event failed). */
  metrics: Metrics;
  knex: Knex;
  queues: Queues;
  dispatcher: Dispatcher;
  /** Absent when OneSignal is not configured (development): reminders end skipped. */
  onesignal: OneSignalClient | undefined;
  /** Absent when Jarvis is not configured (development): dentist changes end failed. */
  jarvis: JarvisClient | undefined;
  /** The user-images bucket: object deletions and account erasure. */
  s3: S3Storage;
}

/** `token` is the job's lock token, for processors that move their own job (e.g. to delayed). */
export type Processor = (job: Job<JobData>, context: WorkerContext, token?: string) => Promise<unknown>;

/**
 * What a feature gives the worker: its queue, a processor for each job declared on it,
 * the rows the sweeper must watch for it, and its retention housekeeping. The worker
 * assembles these (src/worker/features.ts) and refuses to start when a job has no processor.
 */
export interface WorkerFeature {
  queue: QueueDefinition;
  processors: ReadonlyArray<{ job: JobDefinition; process: Processor }>;
  /** Kinds of row that can be left needing one of this feature's jobs (docs/dispatch.md#sweeper). */
  sweepSources: readonly SweepSource[];
  /** Hourly retention steps, by name: each deletes what has outlived its keeping and says how many. */
  prune?: Readonly<Record<string, (context: WorkerContext) => Promise<number>>>;
}

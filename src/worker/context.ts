import type { Job } from 'bullmq';
import type { Knex } from 'knex';
import type { Config } from '../shared/config.js';
import type { Logger } from '../shared/logger.js';
import type { Dispatcher, JobData, JobKey, Queues } from '../shared/queues.js';

/** What a processor may use. Processors never parse HTTP and never see Koa. */
export interface WorkerContext {
  config: Config;
  logger: Logger;
  knex: Knex;
  queues: Queues;
  dispatcher: Dispatcher;
}

export type Processor = (job: Job<JobData>, context: WorkerContext) => Promise<unknown>;

export type ProcessorRegistry = Record<JobKey, Processor>;

import type { Knex } from 'knex';
import type { S3Storage } from '../shared/clients/s3.js';
import type { Config } from '../shared/config.js';
import type { Logger } from '../shared/logger.js';
import type { Metrics } from '../shared/metrics.js';
import type { Dispatcher } from '../shared/jobs/dispatcher.js';
import type { Queues } from '../shared/jobs/queues.js';
import type { Readiness } from '../shared/readiness.js';
import type { RedisClient } from '../shared/redis.js';

/** Everything a route handler may use; built once by main.ts (or by a test). */
export interface AppDeps {
  config: Config;
  logger: Logger;
  knex: Knex;
  redis: RedisClient;
  queues: Queues;
  dispatcher: Dispatcher;
  readiness: Readiness;
  metrics: Metrics;
  /** The user-images bucket: presigned URLs, and the HEAD check of `complete`. */
  s3: S3Storage;
}

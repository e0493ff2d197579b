import { s3FromConfig } from '../shared/clients/s3.js';
import type { Config } from '../shared/config.js';
import { catchUpRequester } from '../shared/db/maintenance-runs.js';
import { createKnex } from '../shared/db/knex.js';
import type { Logger } from '../shared/logger.js';
import { Metrics } from '../shared/metrics.js';
import { QUEUES } from '../queues.js';
import { Dispatcher } from '../shared/jobs/dispatcher.js';
import { Queues } from '../shared/jobs/queues.js';
import { Readiness } from '../shared/readiness.js';
import { createRedis } from '../shared/redis.js';
import type { AppDeps } from './deps.js';

/**
 * The API's connections: a Postgres pool, and a fail-fast Redis producer connection (to
 * one Redis or a cluster; its eviction policy is checked once it is ready).
 */
export function createApiDeps(config: Config, logger: Logger): AppDeps {
  const knex = createKnex(config.DATABASE_URL, {}, logger);
  const redis = createRedis(config, 'producer', logger);
  const queues = new Queues(QUEUES, redis, config.QUEUE_PREFIX);
  const readiness = new Readiness(knex, redis, config.QUEUE_PREFIX);
  return {
    config,
    logger,
    knex,
    redis,
    queues,
    dispatcher: new Dispatcher(
      queues,
      logger,
      catchUpRequester(knex, (error) => logger.warn({ err: error }, 'could not ask for a catch-up sweep')),
    ),
    readiness,
    metrics: new Metrics({ service: 'api', queues, knex, readiness }),
    s3: s3FromConfig(config),
  };
}

export async function closeApiDeps(deps: AppDeps): Promise<void> {
  await deps.queues.close();
  deps.s3.destroy();
  deps.redis.disconnect();
  await deps.knex.destroy();
}

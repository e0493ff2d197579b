import { jarvisFromConfig } from '../../src/shared/clients/jarvis.js';
import { oneSignalFromConfig } from '../../src/shared/clients/onesignal.js';
import type { Config } from '../../src/shared/config.js';
import { createLogger } from '../../src/shared/logger.js';
import { Metrics } from '../../src/shared/metrics.js';
import type { JobDefinition } from '../../src/shared/jobs/queues.js';
import type { Processor, WorkerFeature } from '../../src/shared/jobs/context.js';
import { workerFeatures } from '../../src/worker/features.js';
import { startWorkerRuntime, type WorkerRuntime } from '../../src/worker/runtime.js';
import { LogCapture } from './logs.js';

/** Every sweep source of every feature, as the worker's sweep uses them. */
export const sweepSources = workerFeatures.flatMap((feature) => feature.sweepSources);

/** A processor standing in for a job's real one in a test. */
export interface ProcessorOverride {
  job: JobDefinition;
  process: Processor;
}

/** The worker's features, with some jobs' processors replaced. */
export function withProcessors(overrides: readonly ProcessorOverride[]): WorkerFeature[] {
  return workerFeatures.map((feature) => ({
    ...feature,
    processors: feature.processors.map(
      (entry) => overrides.find((override) => override.job === entry.job) ?? entry,
    ),
  }));
}

/**
 * The real worker runtime in-process, on the same database and queue prefix as an app.
 * Without its maintenance clock unless asked (`maintenanceTickMs`): tests sweep by hand.
 */
export async function startTestWorker(
  config: Config,
  overrides: readonly ProcessorOverride[] = [],
  options: { maintenanceTickMs?: number } = {},
): Promise<WorkerRuntime & { logs: LogCapture }> {
  const logs = new LogCapture();
  const logger = createLogger(config, { name: 'worker', destination: logs });
  const runtime = await startWorkerRuntime(
    config,
    logger,
    withProcessors(overrides),
    options.maintenanceTickMs === undefined
      ? { maintenance: false }
      : { maintenance: true, maintenanceTickMs: options.maintenanceTickMs },
  );
  return Object.assign(runtime, { logs });
}

/** A worker context on a test app's connections, for calling processors directly. */
export function workerContextFor(app: {
  config: Config;
  deps: Pick<import('../../src/api/deps.js').AppDeps, 'logger' | 'knex' | 'queues' | 'dispatcher' | 's3'>;
}): import('../../src/shared/jobs/context.js').WorkerContext {
  return {
    config: app.config,
    logger: app.deps.logger,
    metrics: new Metrics({ service: 'worker' }),
    knex: app.deps.knex,
    queues: app.deps.queues,
    dispatcher: app.deps.dispatcher,
    onesignal: oneSignalFromConfig(app.config),
    jarvis: jarvisFromConfig(app.config),
    s3: app.deps.s3,
  };
}

import { pendingMigrations } from '../shared/db/migrations.js';
import { createLogger } from '../shared/logger.js';
import { loadConfigOrExit } from '../shared/process/load-config.js';
import { retryUntil } from '../shared/process/retry-until.js';
import { onShutdownSignal } from '../shared/process/shutdown.js';
import { logIntegrations } from '../shared/integrations.js';
import { createKnex } from '../shared/db/knex.js';
import { createHealthServer } from './health-server.js';
import { workerFeatures } from './features.js';
import { startWorkerRuntime } from './runtime.js';
import { stopTracing } from '../shared/tracing/state.js';

const config = loadConfigOrExit();
const logger = createLogger(config, { name: 'worker' });

class SchemaNotReady extends Error {}

// The API applies migrations; the worker waits for them rather than racing them.
const probe = createKnex(config.DATABASE_URL, { max: 1 });
await retryUntil(
  logger,
  'waiting for the database schema',
  async () => {
    const pending = await pendingMigrations(probe);
    if (pending > 0) throw new SchemaNotReady(`${pending} migration(s) not applied yet`);
  },
  120_000,
  (error) => {
    if (error instanceof SchemaNotReady) return error.message;
    // 3D000: on a first `npm start` the API is creating the development database.
    if ((error as { code?: string }).code === '3D000') return 'the database does not exist yet';
    return undefined;
  },
);
await probe.destroy();

const runtime = await startWorkerRuntime(config, logger, workerFeatures);
logIntegrations(config, logger);
let stopping = false;
const health = createHealthServer(runtime.readiness, runtime.metrics, () => stopping);
health.listen(config.WORKER_PORT, () =>
  logger.info({ port: config.WORKER_PORT }, 'worker health port listening'),
);

onShutdownSignal(
  logger,
  async () => {
    stopping = true;
    await runtime.stop(8000);
    await new Promise<void>((resolve) => health.close(() => resolve()));
    await stopTracing();
  },
  10_000,
);

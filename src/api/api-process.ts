import { ensureDatabaseExists, migrateToLatest } from '../shared/db/migrations.js';
import { createLogger } from '../shared/logger.js';
import { loadConfigOrExit } from '../shared/process/load-config.js';
import { retryUntil } from '../shared/process/retry-until.js';
import { onShutdownSignal } from '../shared/process/shutdown.js';
import { closeApiDeps, createApiDeps } from './bootstrap.js';
import { logIntegrations } from '../shared/integrations.js';
import { gracefulClose } from './graceful-close.js';
import { createApiServer } from './http-server.js';
import { createApp } from './server.js';
import { stopTracing } from '../shared/tracing/state.js';

const config = loadConfigOrExit();
const logger = createLogger(config, { name: 'api' });

if (config.NODE_ENV === 'development') {
  await retryUntil(logger, 'creating the development database', () =>
    ensureDatabaseExists(config.DATABASE_URL, logger),
  );
}
const deps = createApiDeps(config, logger);
await retryUntil(logger, 'applying migrations', () => migrateToLatest(deps.knex, logger));
logIntegrations(config, logger);

const server = createApiServer(createApp(deps), logger);
const closeServer = gracefulClose(server);
server.listen(config.PORT, () => logger.info({ port: config.PORT, env: config.NODE_ENV }, 'API listening'));

onShutdownSignal(
  logger,
  async () => {
    // Stop accepting, answer in-flight requests, close every keep-alive socket.
    await closeServer();
    await closeApiDeps(deps);
    await stopTracing();
  },
  10_000,
);

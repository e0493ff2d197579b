import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { closeApiDeps, createApiDeps } from '../../src/api/bootstrap.js';
import type { AppDeps } from '../../src/api/deps.js';
import type { AnyRoute } from '../../src/api/route.js';
import { createApp } from '../../src/api/server.js';
import { createApiServer } from '../../src/api/http-server.js';
import type { Config } from '../../src/shared/config.js';
import { createLogger } from '../../src/shared/logger.js';
import { developmentToken } from '../../src/dev/development-token.js';
import { testConfig } from './config.js';
import { createTestDatabase } from './database.js';
import { LogCapture } from './logs.js';
import { deleteKeys, uniqueQueuePrefix } from './redis.js';
import { startTestS3, type TestS3 } from './s3.js';

export interface TestApp {
  url: string;
  config: Config;
  deps: AppDeps;
  logs: LogCapture;
  /** The S3 server (s3rver) the app's bucket lives on. */
  s3: TestS3;
  /** fetch against the app, with JSON helpers */
  request(path: string, init?: RequestInit & { json?: unknown; token?: string }): Promise<Response>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string | undefined>;
  routes?: readonly AnyRoute[];
  /** Use this database instead of a fresh clone (several apps on one database). */
  databaseUrl?: string;
  queuePrefix?: string;
  /** Share this S3 server (e.g. with another app); default: one of its own, closed with the app. */
  s3?: TestS3;
}

/**
 * The real app on a real port (0: any free one), with its own database cloned from
 * the template, its own Redis key prefix and its own S3 server. Logs are captured, not printed.
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.databaseUrl ? undefined : await createTestDatabase();
  const queuePrefix = options.queuePrefix ?? uniqueQueuePrefix();
  const s3 = options.s3 ?? (await startTestS3());
  const config = testConfig({
    DATABASE_URL: options.databaseUrl ?? database?.url,
    QUEUE_PREFIX: queuePrefix,
    S3_ENDPOINT: s3.env.S3_ENDPOINT,
    S3_FORCE_PATH_STYLE: s3.env.S3_FORCE_PATH_STYLE,
    USER_IMAGES_BUCKET: s3.env.USER_IMAGES_BUCKET,
    ...options.env,
  });
  const logs = new LogCapture();
  const logger = createLogger(config, { name: 'api', destination: logs });
  const deps = createApiDeps(config, logger);
  const server: Server = createApiServer(createApp(deps, options.routes), logger);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    config,
    deps,
    logs,
    s3,
    request: (path, init = {}) => {
      const { json, token, headers, ...rest } = init;
      const allHeaders = new Headers(headers);
      if (json !== undefined) allHeaders.set('content-type', 'application/json');
      if (token) allHeaders.set('authorization', `Bearer ${token}`);
      return fetch(`${url}${path}`, {
        ...rest,
        headers: allHeaders,
        ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
      });
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await closeApiDeps(deps);
      if (!options.queuePrefix) await deleteKeys(queuePrefix);
      await database?.drop();
      if (!options.s3) await s3.close();
    },
  };
}

export const tokenFor = (sub: string, options?: Parameters<typeof developmentToken>[1]) =>
  developmentToken(sub, options);

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../../support/app.js';
import { deliver, hubspotEvent } from '../../support/hubspot.js';
import { waitFor } from '../../support/jobs.js';
import type { LogCapture } from '../../support/logs.js';
import { startTestRedisCluster, type TestRedisCluster } from '../../support/redis-cluster.js';
import { startTestRedisServer, type TestRedisServer } from '../../support/redis-server.js';
import { makeCertificates, type TestCertificates } from '../../support/tls.js';
import { startTestWorker } from '../../support/worker.js';

// Redis over TLS (rediss://), one server and a cluster, each serving TLS only (no plain
// port): the API and the worker verify the server's certificate against
// REDIS_TLS_CA_FILE, and refuse a server their CA did not sign.

let dir: string;
let certs: TestCertificates;
let server: TestRedisServer;
let cluster: TestRedisCluster | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aligner-redis-tls-'));
  certs = await makeCertificates(dir);
  server = await startTestRedisServer({ tls: certs });
});
afterAll(async () => {
  await Promise.all([server?.stop(), cluster?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

type Worker = Awaited<ReturnType<typeof startTestWorker>>;

/** An app and its worker on `env`'s Redis, closed after `use` whatever happens. */
async function withStack(
  env: Record<string, string | undefined>,
  use: (app: TestApp, worker: Worker) => Promise<void>,
) {
  const app = await startTestApp({ env: { REDIS_URL: undefined, ...env } });
  let worker: Worker | undefined;
  try {
    worker = await startTestWorker(app.config);
    await use(app, worker);
  } finally {
    await worker?.stop();
    await app.close();
  }
}

/** Both processes are ready, and a webhook acknowledged by the API is processed by the worker. */
async function expectWorking(app: TestApp, worker: Worker) {
  expect(await (await app.request('/ready')).json()).toMatchObject({ status: 'ready' });
  expect(await worker.readiness.check()).toMatchObject({ ready: true });
  const objectId = 80_000 + Math.floor(Math.random() * 10_000);
  expect((await deliver(app, [hubspotEvent({ objectId })])).status).toBe(200);
  const event = await waitFor(
    () => app.deps.knex('hubspot_events').where({ object_id: objectId }).first(),
    (row) => row?.status !== 'received',
    10_000,
    'webhook event processed',
  );
  expect(event.status).toBe('processed');
}

const CONNECTION_FAILED = 'Redis connection failed; retrying until it answers';
// The server sends its CA with its certificate, so Node names the chain's root as unknown.
const CERTIFICATE_FAILURE =
  /(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN) (unable to verify|self-signed certificate)/;

/** Neither process is ready, and each logged once why: the certificate was not verified. */
async function expectRefused(app: TestApp, worker: Worker) {
  expect(await (await app.request('/ready')).json()).toMatchObject({
    status: 'not_ready',
    checks: { redis: 'unreachable', postgres: 'ok' },
  });
  expect(await worker.readiness.check()).toMatchObject({ ready: false, checks: { redis: 'unreachable' } });
  for (const logs of [app.logs, worker.logs] as LogCapture[]) {
    const certificateFailure = await waitFor(
      async () =>
        logs
          .entries()
          .filter((entry) => entry.msg === CONNECTION_FAILED)
          .map((entry) => `${(entry.err as { code?: string }).code} ${entry.reason}`)
          .find((line) => CERTIFICATE_FAILURE.test(line)),
      Boolean,
      5000,
      'certificate failure logged',
    );
    expect(certificateFailure).toMatch(CERTIFICATE_FAILURE);
  }
}

describe('one Redis over TLS', () => {
  it('works with the CA that signed the server certificate (REDIS_TLS_CA_FILE)', async () => {
    await withStack({ REDIS_URL: server.url, REDIS_TLS_CA_FILE: certs.caFile }, (app, worker) =>
      expectWorking(app, worker),
    );
  });

  it('refuses a server signed by another CA: not ready, and the logs say the certificate failed', async () => {
    await withStack({ REDIS_URL: server.url, REDIS_TLS_CA_FILE: certs.otherCaFile }, (app, worker) =>
      expectRefused(app, worker),
    );
  });

  it('verifies against the system CAs when no CA file is given (a private CA is then refused)', async () => {
    await withStack({ REDIS_URL: server.url }, (app, worker) => expectRefused(app, worker));
  });
});

describe('a Redis Cluster over TLS (between its nodes too)', () => {
  beforeAll(async () => {
    cluster = await startTestRedisCluster({ tls: certs });
  }, 30_000);

  it('works with the CA that signed the nodes’ certificate', async () => {
    await withStack(
      { REDIS_CLUSTER_NODES: cluster!.nodesEnv, REDIS_TLS_CA_FILE: certs.caFile },
      (app, worker) => expectWorking(app, worker),
    );
  });

  it('refuses nodes signed by another CA', async () => {
    await withStack(
      { REDIS_CLUSTER_NODES: cluster!.nodesEnv, REDIS_TLS_CA_FILE: certs.otherCaFile },
      (app, worker) => expectRefused(app, worker),
    );
  });
});

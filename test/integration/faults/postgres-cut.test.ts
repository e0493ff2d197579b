import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { defineRoute } from '../../../src/api/route.js';
import { routes } from '../../../src/api/routes/index.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { TEST_INTERNAL_KEYS } from '../../support/config.js';
import { createTestDatabase } from '../../support/database.js';
import { createTreatment } from '../../support/factories.js';
import { call, newPatient, type Patient } from '../../support/patients.js';
import { waitFor } from '../../support/jobs.js';
import { ADMIN_URL, withAdminClient } from '../../support/postgres.js';
import { TcpProxy } from '../../support/tcp-proxy.js';

// Postgres going away in the middle of requests (docs/conventions.md#errors: no input may produce a 500;
// §7: an acknowledged request is never lost). The app reaches its database through a
// proxy that is cut while requests run: statements fail half-way, and knex's ROLLBACK
// then meets a client whose connection is gone. Each request must end 2xx (committed)
// or 503 (retry), never 500. The end-to-end view, with the worker, is e2e/outages.

const ROUNDS = 15;

/** A request whose transaction is still open when Postgres goes (test only). */
const slowTransaction = defineRoute({
  method: 'post',
  path: '/internal/test/slow-transaction',
  summary: 'Runs a transaction with a one-second statement',
  tag: 'test',
  auth: 'api_key',
  responses: { 200: { description: 'Committed' } },
  handler: async (ctx, _input, deps) => {
    await deps.knex.transaction(async (trx) => {
      await trx.raw('select 1');
      await trx.raw('select pg_sleep(1)');
    });
    ctx.body = { committed: true };
  },
});
let app: TestApp;
let proxy: TcpProxy;
let dropDatabase: () => Promise<void>;
let databaseName: string;
const patients: Patient[] = [];

beforeAll(async () => {
  const database = await createTestDatabase();
  dropDatabase = database.drop;
  databaseName = database.name;
  const real = new URL(ADMIN_URL);
  proxy = await new TcpProxy(Number(real.port || 5432), real.hostname).start();
  const proxied = new URL(database.url);
  proxied.port = String(proxy.port);
  app = await startTestApp({ databaseUrl: proxied.toString(), routes: [...routes, slowTransaction] });
  for (let index = 0; index < 6; index += 1) {
    const patient = await newPatient(app);
    await createTreatment(app.deps.knex, { user_id: patient.user.id });
    patients.push(patient);
  }
}, 60000);

afterAll(async () => {
  await proxy?.restore();
  await app?.close();
  await proxy?.stop();
  await dropDatabase?.();
});

describe('Postgres cut under in-flight requests', () => {
  it('a statement cut inside a transaction is a 503 (the ROLLBACK meets a broken client)', async () => {
    const pending = app.request('/internal/test/slow-transaction', {
      method: 'POST',
      headers: { 'x-api-key': TEST_INTERNAL_KEYS[0] },
    });
    // Cut once the transaction is open: its one-second statement is running.
    await waitFor(
      () =>
        withAdminClient(async (client) => {
          const { rows } = await client.query<{ n: number }>(
            `select count(*)::int as n from pg_stat_activity
              where datname = $1 and state = 'active' and query = 'select pg_sleep(1)'`,
            [databaseName],
          );
          return rows[0]!.n;
        }),
      (running) => running > 0,
      5000,
      'the slow transaction running',
    );
    await proxy.cut();
    const response = await pending;
    await proxy.restore();
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: 503, code: 'service_unavailable' });
    expect(response.headers.get('retry-after')).toBe('5');
  });

  it('every request ends 2xx (and is stored) or 503, never 500', async () => {
    const burst = () =>
      patients.flatMap((patient) =>
        (
          [
            ['extension', call(app, patient, 'POST', '/treatment/extensions', { days: 1 })],
            ['profile', call(app, patient, 'GET', '')],
            ['wear-start', call(app, patient, 'POST', '/wear-sessions', { reason: 'meal' })],
          ] as const
        ).map(async ([what, request]) => ({ what, answer: await request })),
      );
    // How long a burst takes here, uncut: the cuts below land across that span.
    const started = Date.now();
    const answers = await Promise.all(burst());
    const span = Date.now() - started;
    for (let round = 0; round < ROUNDS; round += 1) {
      const running = burst();
      // Cut at a different moment of the burst each round: before, during and after its
      // statements (a fixed delay on purpose: it is where the fault lands).
      await new Promise((resolve) => setTimeout(resolve, (span * round) / ROUNDS));
      await proxy.cut();
      answers.push(...(await Promise.all(running)));
      await proxy.restore();
      // The next round starts once a statement gets through to Postgres again.
      await waitFor(
        () =>
          app.deps.knex.raw('select 1').then(
            () => true,
            () => false,
          ),
        (through) => through,
        10000,
        'Postgres reachable again',
      );
    }

    const statuses = answers.map(({ answer }) => answer.status);
    expect(statuses.filter((status) => status >= 500 && status !== 503)).toEqual([]);
    // Each kind of answer happened: the cut did land before, during and after requests.
    expect(statuses).toContain(503);
    expect(statuses.some((status) => status >= 200 && status < 300)).toBe(true);
    // A 503 is a problem document; a second session while one is open is refused; nothing else may be.
    const unexpected = answers.filter(
      ({ what, answer }) =>
        !(answer.status === 503 && answer.body?.code === 'service_unavailable') &&
        !(answer.status === 409 && what === 'wear-start' && answer.body?.code === 'session_already_open') &&
        answer.status !== (what === 'profile' ? 200 : 201),
    );
    expect(unexpected).toEqual([]);
    expect(app.logs.entries().filter((entry) => entry.msg === 'unhandled error')).toEqual([]);

    // Nothing acknowledged is lost: every 201 extension is stored (a 503 may or may not be).
    const acknowledged = answers.filter(({ what, answer }) => what === 'extension' && answer.status === 201);
    const refused = answers.filter(({ what, answer }) => what === 'extension' && answer.status === 503);
    const [{ n: stored }] = (await app.deps.knex('treatment_extensions').count({ n: '*' })) as [
      { n: number },
    ];
    expect(stored).toBeGreaterThanOrEqual(acknowledged.length);
    expect(stored).toBeLessThanOrEqual(acknowledged.length + refused.length);
  }, 60000);
});

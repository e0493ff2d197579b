import { dentistRequestsQueue, submitDentistChangeJob } from '../../../src/dentists/jobs.js';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jobIdFor } from '../../../src/shared/jobs/queues.js';
import { sweep } from '../../../src/worker/maintenance/sweep.js';
import { sweepSources } from '../../support/worker.js';
import { startTestApp, tokenFor, type TestApp } from '../../support/app.js';
import { createDentist, createDentistChangeRequest } from '../../support/factories.js';
import { newPatient, send, type Patient } from '../../support/dentist-fixtures.js';

let app: TestApp;
let dentist: { id: number };
let other: { id: number };
let inactive: { id: number };

beforeAll(async () => {
  app = await startTestApp();
  dentist = await createDentist(app.deps.knex, {
    name: 'Dr Ada Molar',
    practice_name: 'Molar & Co',
    city: 'York',
  });
  other = await createDentist(app.deps.knex);
  inactive = await createDentist(app.deps.knex, { active: false });
});
afterAll(() => app.close());

const post = (patient: Patient, json: unknown, headers: Record<string, string> = {}) =>
  app
    .request(patient.requests, { method: 'POST', token: patient.token, json, headers })
    .then(async (response) => ({
      status: response.status,
      body: (await response.json()) as Record<string, unknown>,
    }));

describe('POST /auth/users/{cognito_sub}/dentist-change-requests', () => {
  it('202 { id, status: pending }: the row is stored and its submit job enqueued', async () => {
    const patient = await newPatient(app);
    const { status, body } = await post(patient, { dentist_id: dentist.id });
    expect(status).toBe(202);
    expect(body).toEqual({ id: expect.any(String), status: 'pending' });
    expect(await app.deps.knex('dentist_change_requests').where({ id: body.id }).first()).toMatchObject({
      user_id: patient.user.id,
      dentist_id: dentist.id,
      status: 'pending',
      attempts: 0,
      submit_attempted_at: null,
    });
    const job = await app.deps.queues
      .of(dentistRequestsQueue)
      .getJob(jobIdFor(submitDentistChangeJob, String(body.id)));
    expect(job?.data.rowId).toBe(body.id);
  });

  it('422 dentist_not_available for an unknown or inactive dentist, nothing stored', async () => {
    const patient = await newPatient(app);
    for (const id of [inactive.id, 999_999]) {
      const { status, body } = await post(patient, { dentist_id: id });
      expect(status).toBe(422);
      expect(body).toMatchObject({
        code: 'dentist_not_available',
        errors: [{ path: 'body.dentist_id', message: 'is not an active dentist' }],
      });
    }
    expect(await app.deps.knex('dentist_change_requests').where({ user_id: patient.user.id })).toEqual([]);
  });

  it("422 dentist_already_assigned for the user's current dentist", async () => {
    const patient = await newPatient(app);
    await app.deps.knex('users').where({ id: patient.user.id }).update({ dentist_id: dentist.id });
    const { status, body } = await post(patient, { dentist_id: dentist.id });
    expect(status).toBe(422);
    expect(body).toMatchObject({ code: 'dentist_already_assigned', errors: [{ path: 'body.dentist_id' }] });
  });

  it('409 change_request_open while a request is pending or submitted; a new one once it has ended', async () => {
    const patient = await newPatient(app);
    const first = await post(patient, { dentist_id: dentist.id });
    expect(first.status).toBe(202);
    expect((await post(patient, { dentist_id: other.id })).body).toMatchObject({
      status: 409,
      code: 'change_request_open',
    });
    await app.deps
      .knex('dentist_change_requests')
      .where({ id: first.body.id })
      .update({ status: 'submitted' });
    expect((await post(patient, { dentist_id: other.id })).status).toBe(409);
    await app.deps
      .knex('dentist_change_requests')
      .where({ id: first.body.id })
      .update({ status: 'already_pending' });
    expect((await post(patient, { dentist_id: other.id })).status).toBe(202);
  });

  it('two concurrent requests of one user: one 202, one 409, one row', async () => {
    for (let round = 0; round < 5; round += 1) {
      const patient = await newPatient(app);
      const results = await Promise.all([
        post(patient, { dentist_id: dentist.id }),
        post(patient, { dentist_id: other.id }),
      ]);
      expect(results.map((result) => result.status).sort()).toEqual([202, 409]);
      expect(results.find((result) => result.status === 409)!.body).toMatchObject({
        code: 'change_request_open',
      });
      expect(await app.deps.knex('dentist_change_requests').where({ user_id: patient.user.id })).toHaveLength(
        1,
      );
    }
  });

  it('a retry with the same Idempotency-Key gets the first answer again; one request, one job', async () => {
    const patient = await newPatient(app);
    const key = randomUUID();
    const first = await post(patient, { dentist_id: dentist.id }, { 'idempotency-key': key });
    const retry = await post(patient, { dentist_id: dentist.id }, { 'idempotency-key': key });
    expect(first.status).toBe(202);
    expect(retry).toEqual(first);
    expect(await app.deps.knex('dentist_change_requests').where({ user_id: patient.user.id })).toHaveLength(
      1,
    );
  });

  it.each([
    ['a string id', { dentist_id: '42' }, 'body.dentist_id'],
    ['zero', { dentist_id: 0 }, 'body.dentist_id'],
    ['a negative id', { dentist_id: -3 }, 'body.dentist_id'],
    ['a fraction', { dentist_id: 4.5 }, 'body.dentist_id'],
    ['an id past int4', { dentist_id: 2 ** 31 }, 'body.dentist_id'],
    ['no id', {}, 'body.dentist_id'],
    ['an unknown field', { dentist_id: 1, note: 'hi' }, 'body'],
  ])('422 validation_failed with the path for %s', async (_case, json, path) => {
    const patient = await newPatient(app);
    const { status, body } = await post(patient, json);
    expect(status).toBe(422);
    expect(body.code).toBe('validation_failed');
    expect((body.errors as Array<{ path: string }>).map((error) => error.path)).toContain(path);
  });

  it('400 on malformed JSON', async () => {
    const patient = await newPatient(app);
    const response = await app.request(patient.requests, {
      method: 'POST',
      token: patient.token,
      headers: { 'content-type': 'application/json' },
      body: '{"dentist_id": ',
    });
    expect(response.status).toBe(400);
  });
});

describe('GET /auth/users/{cognito_sub}/dentist-change-requests[/{id}]', () => {
  it('lists the user’s requests newest first, with the dentist, paginated', async () => {
    const patient = await newPatient(app);
    const ids: string[] = [];
    for (const status of ['failed', 'already_pending', 'completed'] as const) {
      const request = await createDentistChangeRequest(app.deps.knex, {
        user_id: patient.user.id,
        dentist_id: dentist.id,
        status,
      });
      ids.push(request.id);
    }
    const first = await send(app, 'GET', `${patient.requests}?limit=2`, { token: patient.token });
    expect(first.status).toBe(200);
    expect(first.body.items.map((item: { id: string }) => item.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.items[0]).toEqual({
      id: ids[2],
      dentist_id: dentist.id,
      dentist: { id: dentist.id, name: 'Dr Ada Molar', practice_name: 'Molar & Co', city: 'York' },
      status: 'completed',
      jarvis_ticket_id: null,
      note: null,
      failure_reason: null,
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      updated_at: expect.any(String),
    });
    const second = await send(app, 'GET', `${patient.requests}?limit=2&cursor=${first.body.next_cursor}`, {
      token: patient.token,
    });
    expect(second.body).toEqual({ items: [expect.objectContaining({ id: ids[0] })], next_cursor: null });
    const failed = await send(app, 'GET', `${patient.requests}?status=failed`, { token: patient.token });
    expect(failed.body.items.map((item: { id: string }) => item.id)).toEqual([ids[0]]);
    // Why it failed, coarsely: the app can tell "not available yet" from a back-office error.
    expect(failed.body.items[0].failure_reason).toMatch(/^(not_configured|back_office_error)$/);
  });

  it('reads one request; another user’s id and an unknown id are the same 404', async () => {
    const owner = await newPatient(app);
    const stranger = await newPatient(app);
    const { body } = await post(owner, { dentist_id: dentist.id });
    const mine = await send(app, 'GET', `${owner.requests}/${body.id}`, { token: owner.token });
    expect(mine).toMatchObject({
      status: 200,
      body: { id: body.id, status: 'pending', dentist_id: dentist.id },
    });
    for (const id of [body.id, randomUUID()]) {
      const theirs = await send(app, 'GET', `${stranger.requests}/${id}`, { token: stranger.token });
      expect(theirs).toMatchObject({
        status: 404,
        body: { code: 'not_found', detail: 'No such dentist change request' },
      });
    }
    expect((await send(app, 'GET', stranger.requests, { token: stranger.token })).body.items).toEqual([]);
  });

  it.each([
    ['a non-UUID id', '/not-a-uuid', 'params.id'],
    ['an unknown status', '?status=lost', 'query.status'],
    ['a limit over 100', '?limit=101', 'query.limit'],
    ['a forged cursor', '?cursor=abc', 'query.cursor'],
    [
      'a cursor of the wrong types',
      `?cursor=${Buffer.from(JSON.stringify(['yesterday', 'nope'])).toString('base64url')}`,
      'query.cursor',
    ],
  ])('422 with the path for %s', async (_case, suffix, path) => {
    const patient = await newPatient(app);
    const { status, body } = await send(app, 'GET', `${patient.requests}${suffix}`, { token: patient.token });
    expect(status).toBe(422);
    expect(body.errors.map((error: { path: string }) => error.path)).toContain(path);
  });
});

describe('authentication and authorization (docs/auth.md)', () => {
  const routes = [
    { name: 'create', method: 'POST', suffix: '', json: { dentist_id: 1 } },
    { name: 'list', method: 'GET', suffix: '' },
    { name: 'get', method: 'GET', suffix: `/${randomUUID()}` },
  ];

  it.each(routes.map((route) => [route.name, route] as const))('%s: no token → 401', async (_name, route) => {
    const patient = await newPatient(app);
    const result = await send(app, route.method, `${patient.requests}${route.suffix}`, { json: route.json });
    expect(result).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
  });

  it.each(routes.map((route) => [route.name, route] as const))(
    "%s: another user's path → 403, whether or not that user exists",
    async (_name, route) => {
      const owner = await newPatient(app);
      const stranger = await newPatient(app);
      for (const base of [owner.requests, `/auth/users/${randomUUID()}/dentist-change-requests`]) {
        const result = await send(app, route.method, `${base}${route.suffix}`, {
          token: stranger.token,
          json: route.json,
        });
        expect(result).toMatchObject({ status: 403, body: { code: 'forbidden' } });
      }
    },
  );

  it.each(routes.map((route) => [route.name, route] as const))(
    '%s: no profile yet → 404',
    async (_name, route) => {
      const sub = randomUUID();
      const result = await send(
        app,
        route.method,
        `/auth/users/${sub}/dentist-change-requests${route.suffix}`,
        {
          token: await tokenFor(sub),
          json: route.json,
        },
      );
      expect(result.status).toBe(404);
    },
  );
});

describe('sweeper (docs/dispatch.md#sweeper)', () => {
  it('re-enqueues a pending request whose job was lost, once it is older than the grace period', async () => {
    const patient = await newPatient(app);
    const fresh = await createDentistChangeRequest(app.deps.knex, {
      user_id: patient.user.id,
      dentist_id: dentist.id,
    });
    const queue = app.deps.queues.of(dentistRequestsQueue);
    await sweep(app.deps.knex, app.deps.dispatcher, sweepSources, app.deps.logger);
    expect(await queue.getJob(jobIdFor(submitDentistChangeJob, fresh.id))).toBeUndefined();

    await app.deps
      .knex('dentist_change_requests')
      .where({ id: fresh.id })
      .update({ updated_at: app.deps.knex.raw("now() - interval '2 minutes'") });
    await sweep(app.deps.knex, app.deps.dispatcher, sweepSources, app.deps.logger);
    expect((await queue.getJob(jobIdFor(submitDentistChangeJob, fresh.id)))?.data.rowId).toBe(fresh.id);
  });

  it('leaves submitted and ended requests alone', async () => {
    const patient = await newPatient(app);
    const submitted = await createDentistChangeRequest(app.deps.knex, {
      user_id: patient.user.id,
      dentist_id: dentist.id,
      status: 'submitted',
      updated_at: new Date(Date.now() - 3600_000),
    });
    await sweep(app.deps.knex, app.deps.dispatcher, sweepSources, app.deps.logger);
    expect(
      await app.deps.queues.of(dentistRequestsQueue).getJob(jobIdFor(submitDentistChangeJob, submitted.id)),
    ).toBeUndefined();
  });
});

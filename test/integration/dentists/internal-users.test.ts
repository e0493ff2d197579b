import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../../support/app.js';
import { TEST_INTERNAL_KEYS } from '../../support/config.js';
import { createDentist, createDentistChangeRequest } from '../../support/factories.js';
import { newPatient, send } from '../../support/dentist-fixtures.js';

let app: TestApp;
let dentist: { id: number };
let other: { id: number };
let inactive: { id: number };
const KEY = TEST_INTERNAL_KEYS[1]; // the previous key still works during a rotation

beforeAll(async () => {
  app = await startTestApp();
  dentist = await createDentist(app.deps.knex, {
    name: 'Dr Nina Root',
    practice_name: 'Root & Crown',
    city: 'Bristol',
  });
  other = await createDentist(app.deps.knex);
  inactive = await createDentist(app.deps.knex, { active: false });
});
afterAll(() => app.close());

const byEmail = (email: string, what: 'dentist' | 'treatment') =>
  `/internal/users/by-email/${encodeURIComponent(email)}/${what}`;
const assign = (email: string, json: unknown, apiKey: string | null = KEY) =>
  send(app, 'PUT', byEmail(email, 'dentist'), { json, ...(apiKey ? { apiKey } : {}) });
const requestRow = (id: string) => app.deps.knex('dentist_change_requests').where({ id }).first();

describe('PUT /internal/users/by-email/{email}/dentist', () => {
  it("assigns the dentist, found by the URL-decoded email in any case; the app's profile shows it", async () => {
    const patient = await newPatient(app, { email: "o'brien+aligners@example.co.uk" });
    expect((await send(app, 'GET', patient.profile, { token: patient.token })).body.dentist).toBeNull();
    const assigned = await assign("O'Brien+Aligners@Example.co.uk", { dentist_id: dentist.id });
    expect(assigned).toEqual({
      status: 200,
      body: {
        dentist: { id: dentist.id, name: 'Dr Nina Root', practice_name: 'Root & Crown', city: 'Bristol' },
        completed_request_id: null,
      },
    });
    const profile = await send(app, 'GET', patient.profile, { token: patient.token });
    expect(profile.body.dentist).toEqual({
      id: dentist.id,
      name: 'Dr Nina Root',
      practice_name: 'Root & Crown',
      city: 'Bristol',
    });
    const put = await send(app, 'PUT', patient.profile, {
      token: patient.token,
      json: { email: patient.user.email, timezone: 'Europe/London' },
    });
    expect(put).toMatchObject({ status: 200, body: { dentist: { id: dentist.id } } });
    // Assigning the same dentist again is a no-op, not an error.
    expect((await assign(patient.user.email, { dentist_id: dentist.id })).status).toBe(200);
  });

  it('completes the open request for that dentist (pending or submitted), and only that one', async () => {
    for (const status of ['pending', 'submitted'] as const) {
      const patient = await newPatient(app);
      const open = await createDentistChangeRequest(app.deps.knex, {
        user_id: patient.user.id,
        dentist_id: dentist.id,
        status,
      });
      const earlier = await createDentistChangeRequest(app.deps.knex, {
        user_id: patient.user.id,
        dentist_id: dentist.id,
        status: 'already_pending',
      });
      const { body } = await assign(patient.user.email, { dentist_id: dentist.id });
      expect(body.completed_request_id).toBe(open.id);
      expect(await requestRow(open.id)).toMatchObject({ status: 'completed' });
      expect(await requestRow(earlier.id)).toMatchObject({ status: 'already_pending' });
      const seen = await send(app, 'GET', `${patient.requests}/${open.id}`, { token: patient.token });
      expect(seen.body.status).toBe('completed');
    }
  });

  it('leaves an open request for another dentist open', async () => {
    const patient = await newPatient(app);
    const open = await createDentistChangeRequest(app.deps.knex, {
      user_id: patient.user.id,
      dentist_id: other.id,
      status: 'submitted',
    });
    expect(
      (await assign(patient.user.email, { dentist_id: dentist.id })).body.completed_request_id,
    ).toBeNull();
    expect(await requestRow(open.id)).toMatchObject({ status: 'submitted' });
  });

  it('404 for an unknown email (or an account being erased)', async () => {
    expect(await assign('nobody@example.com', { dentist_id: dentist.id })).toMatchObject({
      status: 404,
      body: { code: 'not_found' },
    });
    const erased = await newPatient(app);
    await app.deps.knex('users').where({ id: erased.user.id }).update({ deleted_at: new Date() });
    expect((await assign(erased.user.email, { dentist_id: dentist.id })).status).toBe(404);
  });

  it('422 dentist_not_available for an unknown or inactive dentist; the user keeps theirs', async () => {
    const patient = await newPatient(app);
    await assign(patient.user.email, { dentist_id: other.id });
    for (const id of [inactive.id, 987_654]) {
      expect(await assign(patient.user.email, { dentist_id: id })).toMatchObject({
        status: 422,
        body: { code: 'dentist_not_available', errors: [{ path: 'body.dentist_id' }] },
      });
    }
    expect(await app.deps.knex('users').where({ id: patient.user.id }).first('dentist_id')).toEqual({
      dentist_id: other.id,
    });
  });

  it.each([
    ['an invalid email', 'not-an-email', { dentist_id: 1 }, 'params.email'],
    ['a string dentist id', 'a@example.com', { dentist_id: '1' }, 'body.dentist_id'],
    ['no dentist id', 'a@example.com', {}, 'body.dentist_id'],
  ])('422 with the path for %s', async (_case, email, json, path) => {
    const { status, body } = await assign(email, json);
    expect(status).toBe(422);
    expect(body.errors.map((error: { path: string }) => error.path)).toContain(path);
  });

  it('401 without the key or with a wrong one', async () => {
    const patient = await newPatient(app);
    expect((await assign(patient.user.email, { dentist_id: dentist.id }, null)).status).toBe(401);
    expect((await assign(patient.user.email, { dentist_id: dentist.id }, 'wrong')).status).toBe(401);
    expect(await app.deps.knex('users').where({ id: patient.user.id }).first('dentist_id')).toEqual({
      dentist_id: null,
    });
  });

  it('never logs the email from the path', async () => {
    const patient = await newPatient(app, { email: 'secret.patient+tag@example.net' });
    await assign(patient.user.email, { dentist_id: dentist.id });
    await assign('secret.nobody+tag@example.net', { dentist_id: dentist.id });
    expect(app.logs.text()).toContain('/internal/users/by-email/');
    expect(app.logs.text()).not.toMatch(/secret\.(patient|nobody)/);
  });
});

describe('PUT /internal/users/by-email/{email}/treatment (the mobile PUT’s body)', () => {
  const plan = {
    total_aligners: 20,
    current_aligner: 3,
    change_interval_days: 14,
    started_on: '2026-10-01',
    current_aligner_started_on: '2026-10-29',
  };

  it('creates (201) then updates (200) the plan; the app reads the same plan', async () => {
    const patient = await newPatient(app, { email: 'jo+plan@example.com' });
    const created = await send(app, 'PUT', byEmail('JO+plan@example.com', 'treatment'), {
      json: plan,
      apiKey: KEY,
    });
    expect(created).toMatchObject({
      status: 201,
      body: { ...plan, status: 'active', daily_wear_goal_minutes: 1320 },
    });
    const updated = await send(app, 'PUT', byEmail(patient.user.email, 'treatment'), {
      json: { ...plan, total_aligners: 24, status: 'paused' },
      apiKey: KEY,
    });
    expect(updated).toMatchObject({ status: 200, body: { total_aligners: 24, status: 'paused' } });
    const mobile = await send(app, 'GET', `${patient.profile}/treatment`, { token: patient.token });
    expect(mobile.body).toMatchObject({ total_aligners: 24, status: 'paused' });
  });

  it('applies the mobile rules: 422 with the path', async () => {
    const patient = await newPatient(app);
    const { status, body } = await send(app, 'PUT', byEmail(patient.user.email, 'treatment'), {
      json: { ...plan, current_aligner: 21 },
      apiKey: KEY,
    });
    expect(status).toBe(422);
    expect(body.errors.map((error: { path: string }) => error.path)).toContain('body.current_aligner');
  });

  it('404 for an unknown email; 401 without the key', async () => {
    expect(
      (await send(app, 'PUT', byEmail('ghost@example.com', 'treatment'), { json: plan, apiKey: KEY })).status,
    ).toBe(404);
    expect((await send(app, 'PUT', byEmail('ghost@example.com', 'treatment'), { json: plan })).status).toBe(
      401,
    );
  });
});

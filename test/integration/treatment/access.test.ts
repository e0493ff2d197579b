import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, tokenFor, type TestApp } from '../../support/app.js';
import { createTreatment } from '../../support/factories.js';
import { call, newPatient } from '../../support/treatment-fixtures.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

// Every endpoint of this treatment and settings routes, with a body that would be valid.
const plan = {
  total_aligners: 20,
  current_aligner: 1,
  change_interval_days: 14,
  started_on: '2026-01-01',
  current_aligner_started_on: '2026-01-01',
};
const endpoints: Array<[string, string, unknown]> = [
  ['GET', '/treatment', undefined],
  ['PUT', '/treatment', plan],
  ['POST', '/treatment/aligner-changes', {}],
  ['GET', '/treatment/aligner-changes', undefined],
  ['POST', '/treatment/extensions', { days: 2 }],
  ['GET', '/settings', undefined],
  ['PUT', '/settings', { wear_reminders: false }],
];

describe.each(endpoints)('%s /auth/users/{sub}%s', (method, path, json) => {
  it('answers 401 without a token and 403 for another user (existing or not), reading nothing', async () => {
    const owner = await newPatient(app);
    await createTreatment(app.deps.knex, { user_id: owner.user.id });
    const before = await app.deps.knex('treatments').where({ user_id: owner.user.id }).first();

    const anonymous = await call(app, { base: owner.base }, method, path, json);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe('unauthorized');

    const intruder = await newPatient(app);
    const forbidden = await call(app, { base: owner.base, token: intruder.token }, method, path, json);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('forbidden');
    const nobody = await call(
      app,
      { base: `/auth/users/${randomUUID()}`, token: intruder.token },
      method,
      path,
      json,
    );
    expect(nobody.status).toBe(403);

    expect(await app.deps.knex('treatments').where({ user_id: owner.user.id }).first()).toEqual(before);
    expect(await app.deps.knex('user_settings').where({ user_id: owner.user.id }).first()).toBeUndefined();
  });

  it('answers 404 for a user with no profile, or one being erased', async () => {
    const sub = randomUUID();
    const noProfile = await call(
      app,
      { base: `/auth/users/${sub}`, token: await tokenFor(sub) },
      method,
      path,
      json,
    );
    expect(noProfile.status).toBe(404);
    expect(noProfile.body.code).toBe('not_found');

    const erased = await newPatient(app);
    await createTreatment(app.deps.knex, { user_id: erased.user.id });
    await app.deps.knex('users').where({ id: erased.user.id }).update({ deleted_at: new Date() });
    expect((await call(app, erased, method, path, json)).status).toBe(404);
  });
});

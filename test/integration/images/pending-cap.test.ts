import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../../support/app.js';
import {
  complete,
  makePng,
  newPatient,
  postToS3,
  startUpload,
  type Patient,
} from '../../support/image-fixtures.js';

const PENDING_MAX = 3;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ env: { IMAGE_PENDING_MAX: String(PENDING_MAX) } });
});
afterAll(() => app.close());

const create = (patient: Patient) =>
  app.request(patient.base, {
    method: 'POST',
    token: patient.token,
    json: { view: 'front', content_type: 'image/png' },
  });

async function fill(patient: Patient) {
  const started = [];
  for (let index = 0; index < PENDING_MAX; index += 1) started.push(await startUpload(app, patient));
  return started;
}

describe('at most IMAGE_PENDING_MAX pending uploads per user (docs/resources.md#photos)', () => {
  it('answers 429 too_many_pending_uploads beyond the cap, with when to retry', async () => {
    const patient = await newPatient(app);
    await fill(patient);
    const response = await create(patient);
    expect(response.status).toBe(429);
    expect(await response.json()).toMatchObject({ status: 429, code: 'too_many_pending_uploads' });
    const retryAfter = Number(response.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(590);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect(await app.deps.knex('images').where({ user_id: patient.user.id })).toHaveLength(PENDING_MAX);
    // Another user is not affected.
    expect((await create(await newPatient(app))).status).toBe(201);
  });

  it('frees a slot when an upload completes, is deleted, or expires', async () => {
    const patient = await newPatient(app);
    const [first, second, third] = await fill(patient);
    expect((await create(patient)).status).toBe(429);

    await postToS3(first!.upload, makePng(2, 2));
    expect((await complete(app, patient, first!.id)).status).toBe(200);
    expect((await create(patient)).status).toBe(201);
    expect((await create(patient)).status).toBe(429);

    await app.request(`${patient.base}/${second!.id}`, { method: 'DELETE', token: patient.token });
    expect((await create(patient)).status).toBe(201);
    expect((await create(patient)).status).toBe(429);

    await app.deps
      .knex('images')
      .where({ id: third!.id })
      .update({ upload_expires_at: new Date(Date.now() - 1000) });
    expect((await create(patient)).status).toBe(201);
    expect((await create(patient)).status).toBe(429);
  });

  it('holds under concurrent requests: exactly IMAGE_PENDING_MAX of 12 succeed', async () => {
    const patient = await newPatient(app);
    const statuses = await Promise.all(
      Array.from({ length: 12 }, () => create(patient).then((r) => r.status)),
    );
    expect(statuses.filter((status) => status === 201)).toHaveLength(PENDING_MAX);
    expect(statuses.filter((status) => status === 429)).toHaveLength(12 - PENDING_MAX);
    expect(await app.deps.knex('images').where({ user_id: patient.user.id, status: 'pending' })).toHaveLength(
      PENDING_MAX,
    );
  });
});

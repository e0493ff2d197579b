import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LATE_UPLOAD_GRACE_MS } from '../../../src/photos/model.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { TcpProxy } from '../../support/tcp-proxy.js';
import {
  complete,
  makePng,
  newPatient,
  postToS3,
  startUpload,
  type Patient,
} from '../../support/image-fixtures.js';

// A small limit, so a "too large" file is a few KB.
const MAX_BYTES = 1024;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ env: { IMAGE_MAX_BYTES: String(MAX_BYTES) } });
});
afterAll(() => app.close());

/**
 * s3rver, like a lying client against a lax S3-compatible server, stores whatever is
 * posted (STACK.md): `complete` is what must refuse it, delete it and forget the image.
 */
async function expectRefused(patient: Patient, imageId: string, key: string, reason: RegExp) {
  expect((await app.s3.head(key)).status).toBe(200); // the server did take it
  const response = await complete(app, patient, imageId);
  expect(response.status).toBe(422);
  const problem = (await response.json()) as { code: string; detail: string };
  expect(problem.code).toBe('object_invalid');
  expect(problem.detail).toMatch(reason);
  expect((await app.s3.head(key)).status).toBe(404); // deleted at once
  expect(await app.deps.knex('images').where({ id: imageId }).first()).toBeUndefined();
  expect((await app.request(`${patient.base}/${imageId}`, { token: patient.token })).status).toBe(404);
  expect((await complete(app, patient, imageId)).status).toBe(404);
}

describe('complete checks the object (docs/resources.md#photos: HEAD, size and type, else deleted and 422)', () => {
  it('refuses and deletes a file larger than IMAGE_MAX_BYTES', async () => {
    const patient = await newPatient(app);
    const started = await startUpload(app, patient);
    const big = makePng(32, 32, true);
    expect(big.length).toBeGreaterThan(MAX_BYTES);
    expect((await postToS3(started.upload, big)).status).toBe(204);
    await expectRefused(patient, started.id, started.upload.fields.key!, /at most 1024/);
  });

  it('refuses and deletes a file sent with another Content-Type than declared', async () => {
    const patient = await newPatient(app);
    const started = await startUpload(app, patient, { view: 'front', content_type: 'image/png' });
    const posted = await postToS3(started.upload, makePng(2, 2), { fields: { 'Content-Type': 'image/gif' } });
    expect(posted.status).toBe(204);
    await expectRefused(patient, started.id, started.upload.fields.key!, /image\/gif.*not image\/png/);
  });

  it('refuses and deletes a file whose bytes are not the declared type, whatever its Content-Type says', async () => {
    const patient = await newPatient(app);
    const started = await startUpload(app, patient, { view: 'front', content_type: 'image/jpeg' });
    expect(started.upload.fields.key).toMatch(/\.jpg$/);
    expect((await postToS3(started.upload, makePng(2, 2))).status).toBe(204); // PNG bytes as image/jpeg
    await expectRefused(patient, started.id, started.upload.fields.key!, /content is not image\/jpeg/);
  });

  it('refuses and deletes an empty file', async () => {
    const patient = await newPatient(app);
    const started = await startUpload(app, patient);
    expect((await postToS3(started.upload, new Uint8Array())).status).toBe(204);
    await expectRefused(patient, started.id, started.upload.fields.key!, /empty/);
  });

  it('leaves a check for a late upload with the refused POST, once it has expired', async () => {
    const patient = await newPatient(app);
    const started = await startUpload(app, patient);
    await postToS3(started.upload, makePng(32, 32, true));
    expect((await complete(app, patient, started.id)).status).toBe(422);
    const owed = await app.deps.knex('image_deletions').where({ object_key: started.upload.fields.key });
    // Deleted at once by the API; one pass left for the worker after the POST has expired.
    expect(owed).toEqual([
      expect.objectContaining({
        reason: 'object_invalid',
        status: 'pending',
        not_before: new Date(Date.parse(started.upload.expires_at) + LATE_UPLOAD_GRACE_MS),
      }),
    ]);
  });

  it('accepts a file exactly at the limit', async () => {
    const patient = await newPatient(app);
    const started = await startUpload(app, patient);
    const png = makePng(2, 2);
    const exact = Buffer.concat([png, Buffer.alloc(MAX_BYTES - png.length)]); // trailing bytes after IEND
    expect((await postToS3(started.upload, exact)).status).toBe(204);
    const response = await complete(app, patient, started.id);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ size_bytes: MAX_BYTES });
  });
});

describe('S3 unreachable from the API', () => {
  it('answers 503 storage_unavailable (never 500) and completes once S3 is back', async () => {
    const proxy = await new TcpProxy(app.s3.port).start();
    const viaProxy = await startTestApp({
      s3: app.s3,
      databaseUrl: app.config.DATABASE_URL,
      env: { IMAGE_MAX_BYTES: String(MAX_BYTES), S3_ENDPOINT: `http://127.0.0.1:${proxy.port}` },
    });
    try {
      const patient = await newPatient(viaProxy);
      const started = await startUpload(viaProxy, patient);
      await postToS3(started.upload, makePng(2, 2));

      await proxy.cut();
      const down = await complete(viaProxy, patient, started.id);
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBe('5');
      expect(await down.json()).toMatchObject({ code: 'storage_unavailable' });
      expect((await viaProxy.deps.knex('images').where({ id: started.id }).first()).status).toBe('pending');

      await proxy.restore();
      expect((await complete(viaProxy, patient, started.id)).status).toBe(200);
    } finally {
      await proxy.stop();
      await viaProxy.close();
    }
  });
});

import { workerFeatures } from '../../../src/worker/features.js';
import { deleteImageJob, imagesQueue } from '../../../src/photos/jobs.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { S3Storage } from '../../../src/shared/clients/s3.js';
import { LATE_UPLOAD_GRACE_MS, derivedObjectKeys, type ImageDeletion } from '../../../src/photos/model.js';
import { jobIdFor } from '../../../src/shared/jobs/queues.js';
import { processDeleteImage } from '../../../src/photos/delete-image-job.js';
import { prune } from '../../../src/worker/maintenance/prune.js';
import { sweep } from '../../../src/worker/maintenance/sweep.js';
import { sweepSources } from '../../support/worker.js';
import { waitForProcessed } from '../../support/photo-fixtures.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { startTestS3Process } from '../../support/s3.js';
import { fakeJob, waitFor } from '../../support/jobs.js';
import { TcpProxy } from '../../support/tcp-proxy.js';
import { startTestWorker, workerContextFor } from '../../support/worker.js';
import {
  complete,
  makePng,
  newPatient,
  postToS3,
  startUpload,
  uploadImage,
} from '../../support/image-fixtures.js';

let app: TestApp;
let worker: Awaited<ReturnType<typeof startTestWorker>> | undefined;
let proxy: TcpProxy | undefined;

beforeAll(async () => {
  app = await startTestApp();
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
  await proxy?.stop();
  proxy = undefined;
});
afterAll(() => app.close());

const deletionsOf = (key: string) =>
  app.deps.knex('image_deletions').where({ object_key: key }).orderBy('not_before') as Promise<
    ImageDeletion[]
  >;

/** A worker whose S3 traffic goes through a proxy the test can cut (other clients are not disturbed). */
async function workerBehindProxy() {
  proxy = await new TcpProxy(app.s3.port).start();
  worker = await startTestWorker({ ...app.config, S3_ENDPOINT: `http://127.0.0.1:${proxy.port}` });
  return proxy;
}

describe('DELETE /images/{id} (docs/resources.md#photos): gone at once, the object deleted by the worker', () => {
  it('answers 204, hides the photo at once, and the worker deletes the object', async () => {
    const patient = await newPatient(app);
    const image = await uploadImage(app, patient);
    const response = await app.request(`${patient.base}/${image.id}`, {
      method: 'DELETE',
      token: patient.token,
    });
    expect(response.status).toBe(204);
    expect((await app.request(`${patient.base}/${image.id}`, { token: patient.token })).status).toBe(404);
    expect(
      (await app.request(`${patient.base}/${image.id}`, { method: 'DELETE', token: patient.token })).status,
    ).toBe(404);
    expect(await app.deps.knex('images').where({ id: image.id }).first()).toBeUndefined();

    worker = await startTestWorker(app.config);
    const [now, late] = await waitFor(
      () => deletionsOf(image.key),
      (rows) => rows[0]?.status === 'done',
    );
    expect(now).toMatchObject({ reason: 'image_deleted', status: 'done', attempts: 1, last_error: null });
    expect((await app.s3.head(image.key)).status).toBe(404);
    // Its display version and thumbnail, written or not yet, are deleted too (once: only the worker writes them).
    const derived = derivedObjectKeys(image.key);
    for (const key of [derived.display, derived.thumbnail])
      expect(
        await waitFor(
          () => deletionsOf(key),
          (rows) => rows[0]?.status === 'done',
        ),
      ).toEqual([expect.objectContaining({ reason: 'image_deleted', status: 'done' })]);
    // Its presigned POST is still open: one more pass once it has expired, waiting as a delayed job.
    expect(late).toMatchObject({ reason: 'image_deleted', status: 'pending' });
    expect(late!.not_before.getTime()).toBeGreaterThan(Date.now() + LATE_UPLOAD_GRACE_MS);
    expect(await app.deps.queues.of(imagesQueue).getJobState(jobIdFor(deleteImageJob, late!.id))).toBe(
      'delayed',
    );
  });

  it('retries while S3 is unreachable and deletes the object once it is back', async () => {
    const patient = await newPatient(app);
    const image = await uploadImage(app, patient);
    const s3Proxy = await workerBehindProxy();
    await s3Proxy.cut();

    expect(
      (await app.request(`${patient.base}/${image.id}`, { method: 'DELETE', token: patient.token })).status,
    ).toBe(204);
    const [failing] = await waitFor(
      () => deletionsOf(image.key),
      (rows) => (rows[0]?.attempts ?? 0) >= 1 && rows[0]?.last_error !== null,
    );
    expect(failing).toMatchObject({
      status: 'pending',
      last_error: expect.stringMatching(/ECONNREFUSED|connect/i),
    });
    expect((await app.s3.head(image.key)).status).toBe(200);

    await s3Proxy.restore();
    const [done] = await waitFor(
      () => deletionsOf(image.key),
      (rows) => rows[0]?.status === 'done',
      20_000,
    );
    expect(done!.attempts).toBeGreaterThanOrEqual(2);
    expect(done!.last_error).toBeNull();
    expect((await app.s3.head(image.key)).status).toBe(404);
  });

  it('deletes a late upload made with the POST of an image deleted while pending', async () => {
    const patient = await newPatient(app);
    const started = await startUpload(app, patient);
    const key = started.upload.fields.key!;
    expect(
      (await app.request(`${patient.base}/${started.id}`, { method: 'DELETE', token: patient.token })).status,
    ).toBe(204);
    const [now, late] = await deletionsOf(key);
    expect(late!.not_before).toEqual(new Date(Date.parse(started.upload.expires_at) + LATE_UPLOAD_GRACE_MS));
    await processDeleteImage(fakeJob(now!.id), workerContextFor(app));

    // The app uploads anyway, with the POST it still holds.
    expect((await postToS3(started.upload, makePng(2, 2))).status).toBe(204);
    expect((await app.s3.head(key)).status).toBe(200);

    // The second pass comes due (here: now rather than in 15 minutes).
    await app.deps.knex('image_deletions').where({ id: late!.id }).update({ not_before: new Date() });
    await processDeleteImage(fakeJob(late!.id), workerContextFor(app));
    expect((await app.s3.head(key)).status).toBe(404);
    expect((await deletionsOf(key)).map((row) => row.status)).toEqual(['done', 'done']);
  });

  it('does nothing for a deletion already done (duplicate job)', async () => {
    const patient = await newPatient(app);
    const started = await startUpload(app, patient);
    await app.request(`${patient.base}/${started.id}`, { method: 'DELETE', token: patient.token });
    const [now] = await deletionsOf(started.upload.fields.key!);
    await processDeleteImage(fakeJob(now!.id), workerContextFor(app));
    expect(await processDeleteImage(fakeJob(now!.id), workerContextFor(app))).toEqual({ skipped: 'done' });
    expect((await deletionsOf(started.upload.fields.key!))[0]!.attempts).toBe(1);
  });

  it('records failed with the reason on the last attempt', async () => {
    const [row] = (await app.deps
      .knex('image_deletions')
      .insert({ object_key: 'users/someone/images/x.png', reason: 'image_deleted' })
      .returning('*')) as ImageDeletion[];
    const unreachable = new S3Storage({
      region: app.config.AWS_REGION,
      bucket: app.s3.bucket,
      endpoint: 'http://127.0.0.1:1',
      forcePathStyle: true,
    });
    try {
      await expect(
        processDeleteImage(fakeJob(row!.id, 7, 8), { ...workerContextFor(app), s3: unreachable }),
      ).rejects.toThrow();
    } finally {
      unreachable.destroy();
    }
    expect(await app.deps.knex('image_deletions').where({ id: row!.id }).first()).toMatchObject({
      status: 'failed',
      attempts: 1,
      last_error: expect.any(String),
    });
  });
});

describe('abandoned uploads: discarded by the hourly prune', () => {
  it('deletes the row and any uploaded object a day after the window closed, and nothing sooner', async () => {
    const patient = await newPatient(app);
    const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3600_000);
    const uploadedNeverCompleted = await startUpload(app, patient);
    expect((await postToS3(uploadedNeverCompleted.upload, makePng(4, 4))).ok).toBe(true);
    const neverUploaded = await startUpload(app, patient);
    const stillInTime = await startUpload(app, patient);
    expect((await postToS3(stillInTime.upload, makePng(4, 4))).ok).toBe(true);
    const completed = await uploadImage(app, patient);
    const expire = (id: string, hours: number) =>
      app.deps
        .knex('images')
        .where({ id })
        .update({ upload_expires_at: hoursAgo(hours) });
    await expire(uploadedNeverCompleted.id, 25);
    await expire(neverUploaded.id, 25);
    await expire(stillInTime.id, 23);
    await expire(completed.id, 25 * 30);

    const { abandonedUploads } = (await prune(workerContextFor(app), workerFeatures)) as {
      abandonedUploads: number;
    };
    expect(abandonedUploads).toBe(2);
    const left = await app.deps.knex('images').where({ user_id: patient.user.id }).pluck('id');
    expect(left.sort()).toEqual([stillInTime.id, completed.id].sort());
    // The app sees it gone; completing it now is a 404, not a photo.
    expect((await complete(app, patient, uploadedNeverCompleted.id)).status).toBe(404);

    worker = await startTestWorker(app.config);
    for (const started of [uploadedNeverCompleted, neverUploaded]) {
      const rows = await waitFor(
        () => deletionsOf(started.upload.fields.key!),
        (found) => found[0]?.status === 'done',
      );
      // The window closed a day ago: no late upload can follow, so one deletion, no second pass.
      expect(rows).toEqual([expect.objectContaining({ reason: 'upload_abandoned', status: 'done' })]);
    }
    expect((await app.s3.head(uploadedNeverCompleted.upload.fields.key!)).status).toBe(404);
    expect((await app.s3.head(stillInTime.upload.fields.key!)).status).toBe(200);
    // The completed photo is kept, and processed as usual.
    expect(await waitForProcessed(app, patient, completed.id)).toMatchObject({ status: 'ready' });
    expect((await app.s3.head(derivedObjectKeys(completed.key).display)).status).toBe(200);
    expect(await prune(workerContextFor(app), workerFeatures)).toMatchObject({ abandonedUploads: 0 });
  });
});

describe('sweeper and image deletions (docs/dispatch.md#sweeper)', () => {
  it('enqueues a deletion whose job was lost, and the worker deletes the object', async () => {
    const patient = await newPatient(app);
    const image = await uploadImage(app, patient);
    // As if the DELETE committed while Redis was down: a row, no job.
    await app.deps.knex('images').where({ id: image.id }).delete();
    const [row] = (await app.deps
      .knex('image_deletions')
      .insert({ object_key: image.key, reason: 'image_deleted', not_before: new Date(Date.now() - 120_000) })
      .returning('*')) as ImageDeletion[];

    expect(
      await sweep(app.deps.knex, app.deps.dispatcher, sweepSources, app.deps.logger),
    ).toBeGreaterThanOrEqual(1);
    expect(await app.deps.queues.of(imagesQueue).getJob(jobIdFor(deleteImageJob, row!.id))).toBeDefined();
    worker = await startTestWorker(app.config);
    await waitFor(
      () => app.deps.knex('image_deletions').where({ id: row!.id }).first() as Promise<ImageDeletion>,
      (current) => current.status === 'done',
    );
    expect((await app.s3.head(image.key)).status).toBe(404);
  });

  it('leaves deletions not yet due to their delayed jobs', async () => {
    const [row] = (await app.deps
      .knex('image_deletions')
      .insert({
        object_key: 'users/later/images/x.png',
        reason: 'image_deleted',
        not_before: new Date(Date.now() + 600_000),
      })
      .returning('*')) as ImageDeletion[];
    await sweep(app.deps.knex, app.deps.dispatcher, sweepSources, app.deps.logger);
    expect(await app.deps.queues.of(imagesQueue).getJob(jobIdFor(deleteImageJob, row!.id))).toBeUndefined();
  });
});

describe('account erasure deletes every object of the user (docs/resources.md#account-erasure)', () => {
  async function patientWithObjects() {
    const patient = await newPatient(app);
    const first = await uploadImage(app, patient);
    const second = await uploadImage(app, patient, { view: 'upper', content_type: 'image/png' });
    // Uploaded but never completed: an object with no uploaded row.
    const abandoned = await startUpload(app, patient);
    await postToS3(abandoned.upload, makePng(2, 2));
    const keys = [first.key, second.key, abandoned.upload.fields.key!].sort();
    expect((await app.s3.list(`users/${patient.user.cognito_sub}/`)).sort()).toEqual(keys);
    return { patient, keys };
  }

  const erasureOf = (id: string) =>
    app.deps.knex('account_erasures').where({ id }).first() as Promise<{
      status: string;
      completed_steps: string[];
      attempts: number;
      last_error: string | null;
    }>;

  async function requestErasure(patient: Awaited<ReturnType<typeof newPatient>>): Promise<string> {
    const response = await app.request(`/auth/users/${patient.user.cognito_sub}`, {
      method: 'DELETE',
      token: patient.token,
    });
    expect(response.status).toBe(202);
    return ((await response.json()) as { id: string }).id;
  }

  it('deletes every object under users/{sub}/ and nobody else’s', async () => {
    const { patient, keys } = await patientWithObjects();
    const neighbour = await newPatient(app);
    const kept = await uploadImage(app, neighbour);

    const erasureId = await requestErasure(patient);
    worker = await startTestWorker(app.config);
    const erasure = await waitFor(
      () => erasureOf(erasureId),
      (row) => row.status !== 'pending',
    );
    expect(erasure).toMatchObject({
      status: 'completed',
      completed_steps: ['cancel-reminders', 'delete-images', 'delete-user-rows'],
    });
    expect(await app.s3.list(`users/${patient.user.cognito_sub}/`)).toEqual([]);
    for (const key of keys) expect((await app.s3.head(key)).status).toBe(404);
    // The neighbour's photo is processed as usual: its display version is there.
    expect(await waitForProcessed(app, neighbour, kept.id)).toMatchObject({ status: 'ready' });
    expect((await app.s3.head(derivedObjectKeys(kept.key).display)).status).toBe(200);
    expect(await app.deps.knex('images').where({ user_id: patient.user.id })).toEqual([]);
    // Their presigned POSTs are still open: a pass after each has expired, outliving the user.
    const late = await app.deps.knex('image_deletions').whereIn('object_key', keys);
    expect(late).toHaveLength(3);
    for (const row of late) expect(row).toMatchObject({ reason: 'account_erased', status: 'pending' });
  });

  it('retries while S3 is unreachable, then deletes every object', async () => {
    const { patient, keys } = await patientWithObjects();
    const s3Proxy = await workerBehindProxy();
    await s3Proxy.cut();

    const erasureId = await requestErasure(patient);
    const failing = await waitFor(
      () => erasureOf(erasureId),
      (row) => row.attempts >= 1 && row.last_error !== null,
    );
    expect(failing).toMatchObject({ status: 'pending', completed_steps: ['cancel-reminders'] });
    expect((await app.s3.list(`users/${patient.user.cognito_sub}/`)).sort()).toEqual(keys);
    expect(await app.deps.knex('users').where({ id: patient.user.id }).first()).toBeDefined();

    await s3Proxy.restore();
    const erasure = await waitFor(
      () => erasureOf(erasureId),
      (row) => row.status !== 'pending',
      20_000,
    );
    expect(erasure).toMatchObject({ status: 'completed', last_error: null });
    expect(erasure.attempts).toBeGreaterThanOrEqual(2);
    expect(await app.s3.list(`users/${patient.user.cognito_sub}/`)).toEqual([]);
  });
});

describe('S3Storage.deletePrefix', () => {
  it('lists and deletes page by page, only under the prefix, and finds nothing the second time', async () => {
    // A server that can page its listings (see startTestS3Process); pages of 2 keys.
    const server = await startTestS3Process();
    const storage = new S3Storage({
      region: app.config.AWS_REGION,
      bucket: server.bucket,
      endpoint: server.endpoint,
      forcePathStyle: true,
      deleteBatchSize: 2,
    });
    try {
      const put = async (key: string) => {
        const upload = await storage.presignUpload({
          key,
          contentType: 'image/png',
          maxBytes: 1000,
          expiresInSeconds: 60,
        });
        expect((await postToS3({ ...upload, expires_at: '' }, makePng(1, 1))).status).toBe(204);
      };
      for (let index = 0; index < 5; index += 1) await put(`users/batch/images/${index}.png`);
      await put('users/batch-neighbour/images/0.png');

      expect(await storage.deletePrefix('users/batch/')).toBe(5);
      expect(await server.list('users/batch/')).toEqual([]);
      expect(await server.list('users/batch-neighbour/')).toEqual(['users/batch-neighbour/images/0.png']);
      expect(await storage.deletePrefix('users/batch/')).toBe(0);
      await expect(storage.deletePrefix('users/batch')).rejects.toThrow('must end with "/"');
    } finally {
      storage.destroy();
      await server.close();
    }
  });
});

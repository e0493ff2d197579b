import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import exifr from 'exifr';
import sharp from 'sharp';
import { imageProcessingQueue, processImageJob } from '../../../src/photos/jobs.js';
import { jobIdFor } from '../../../src/shared/jobs/queues.js';
import { sweep } from '../../../src/worker/maintenance/sweep.js';
import { makeProcessImage } from '../../../src/photos/process-image-job.js';
import { derivedObjectKeys } from '../../../src/photos/model.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import {
  complete,
  newPatient,
  postToS3,
  startUpload,
  uploadImage,
  type ImageBody,
  type Patient,
} from '../../support/image-fixtures.js';
import { waitFor } from '../../support/jobs.js';
import {
  fetchBytes,
  makeAnimatedWebp,
  makeJpegBomb,
  makeNoiseJpeg,
  makePhoneJpeg,
  waitForProcessed,
} from '../../support/photo-fixtures.js';
import { startTestWorker, sweepSources } from '../../support/worker.js';

let app: TestApp;
let worker: Awaited<ReturnType<typeof startTestWorker>> | undefined;
beforeAll(async () => {
  app = await startTestApp();
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
});
afterAll(() => app.close());

const JPEG = { view: 'front', content_type: 'image/jpeg' };

/** Every object the service holds for one image (original, display version, thumbnail). */
const objectsOf = (patient: Patient, id: string) =>
  app.s3.list(`users/${patient.user.cognito_sub}/images/${id}.`);

/** Every tag block exifr can read, the colour profile aside. */
const metadataOf = (bytes: Buffer) =>
  exifr.parse(bytes, { tiff: true, exif: true, gps: true, ifd1: true, xmp: true, iptc: true, icc: false });

describe('photo processing (docs/resources.md#photos, decision 017)', () => {
  it('serves an upright copy with no location or device tags, a 320 px thumbnail, and taken_at from the photo', async () => {
    const patient = await newPatient(app);
    // Stored landscape, 1200 × 800, with "turn 90° clockwise to view" (what a phone held upright writes).
    const original = await makePhoneJpeg(1200, 800, {
      orientation: 6,
      make: 'Acme',
      model: 'Phone 9 Pro',
      takenAt: '2026:11:20 08:30:00',
      offset: '+01:00',
      gps: true,
    });
    const tags = await metadataOf(original);
    expect(tags).toMatchObject({ Make: 'Acme', Model: 'Phone 9 Pro', Orientation: 'Rotate 90 CW' });
    expect(await exifr.gps(original)).toMatchObject({ latitude: expect.any(Number) });

    const uploaded = await uploadImage(app, patient, JPEG, original);
    // Accepted, not yet a photo anyone can fetch.
    expect(uploaded).toMatchObject({ status: 'processing', url: null, thumbnail_url: null, taken_at: null });
    const listed = (await (await app.request(patient.base, { token: patient.token })).json()) as {
      items: ImageBody[];
    };
    expect(listed.items).toEqual([
      expect.objectContaining({ id: uploaded.id, status: 'processing', url: null }),
    ]);

    worker = await startTestWorker(app.config);
    const image = await waitForProcessed(app, patient, uploaded.id);
    expect(image).toMatchObject({
      status: 'ready',
      width: 800,
      height: 1200,
      taken_at: '2026-11-20T07:30:00.000Z',
      failure_reason: null,
      url: expect.stringContaining('.display.jpg'),
      thumbnail_url: expect.stringContaining('.thumb.jpg'),
    });

    const display = await fetchBytes(image.url!);
    const thumbnail = await fetchBytes(image.thumbnail_url!);
    for (const served of [display, thumbnail]) {
      expect(served.status).toBe(200);
      expect(served.type).toBe('image/jpeg');
      expect(await metadataOf(served.bytes)).toBeUndefined();
      expect(await exifr.gps(served.bytes)).toBeUndefined();
      expect(served.bytes.includes('Acme')).toBe(false);
      // The colour profile is the one block kept.
      expect((await sharp(served.bytes).metadata()).icc).toBeDefined();
    }
    const shown = await sharp(display.bytes).metadata();
    expect([shown.width, shown.height, shown.orientation]).toEqual([800, 1200, undefined]);
    expect(await sharp(thumbnail.bytes).metadata()).toMatchObject({ width: 213, height: 320 });
    // Upright: the stored top (red) is now on the right, the bottom (blue) on the left.
    const { data } = await sharp(display.bytes).raw().toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number) => [...data.subarray((y * 800 + x) * 3, (y * 800 + x) * 3 + 3)];
    expect(pixel(780, 600)[0]).toBeGreaterThan(150);
    expect(pixel(20, 600)[2]).toBeGreaterThan(150);

    // The original, GPS and all, is deleted once processed.
    const keys = derivedObjectKeys(uploaded.key);
    await waitFor(
      () => objectsOf(patient, uploaded.id),
      (objects) => !objects.includes(uploaded.key),
      15_000,
      'original deleted',
    );
    expect((await objectsOf(patient, uploaded.id)).sort()).toEqual([keys.display, keys.thumbnail].sort());

    const metrics = await worker.metrics.registry.getSingleMetricAsString(
      'photo_processing_duration_seconds',
    );
    expect(metrics).toMatch(/photo_processing_duration_seconds_count\{[^}]*outcome="ready"[^}]*\} 1/);
  });

  it("keeps the app's taken_at over the photo's, and leaves it null when neither has one", async () => {
    const patient = await newPatient(app);
    const sent = await uploadImage(
      app,
      patient,
      { ...JPEG, taken_at: '2026-11-21T10:00:00Z' },
      await makePhoneJpeg(64, 48, { takenAt: '2020:01:01 00:00:00' }),
    );
    const bare = await uploadImage(app, patient, JPEG, await makePhoneJpeg(64, 48));
    worker = await startTestWorker(app.config);
    expect(await waitForProcessed(app, patient, sent.id)).toMatchObject({
      status: 'ready',
      taken_at: '2026-11-21T10:00:00.000Z',
    });
    expect(await waitForProcessed(app, patient, bare.id)).toMatchObject({
      status: 'ready',
      taken_at: null,
      width: 64,
      height: 48,
    });
  });

  it('exports the processed versions, never the original', async () => {
    const patient = await newPatient(app);
    const uploaded = await uploadImage(app, patient, JPEG, await makePhoneJpeg(90, 60, { gps: true }));
    worker = await startTestWorker(app.config);
    await waitForProcessed(app, patient, uploaded.id);
    const exported = await app.request(`/auth/users/${patient.user.cognito_sub}/export`, {
      token: patient.token,
    });
    expect(exported.status).toBe(200);
    const { images } = (await exported.json()) as { images: ImageBody[] };
    const keys = derivedObjectKeys(uploaded.key);
    expect(images).toEqual([
      expect.objectContaining({
        id: uploaded.id,
        status: 'ready',
        width: 90,
        height: 60,
        url: expect.stringContaining(new URL(`http://x/${keys.display}`).pathname),
        thumbnail_url: expect.stringContaining(new URL(`http://x/${keys.thumbnail}`).pathname),
      }),
    ]);
    const served = await fetchBytes(images[0]!.url!);
    expect(await exifr.gps(served.bytes)).toBeUndefined();
  });

  it('refuses HEIC at upload creation with 422 heic_not_supported (the app converts to JPEG first)', async () => {
    const patient = await newPatient(app);
    const response = await app.request(patient.base, {
      method: 'POST',
      token: patient.token,
      json: { view: 'front', content_type: 'image/heic' },
    });
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ code: 'heic_not_supported', status: 422 });
    expect(await app.deps.knex('images').where({ user_id: patient.user.id })).toEqual([]);
  });
});

describe('hostile and odd files end failed, with every object removed, and the worker goes on', () => {
  it('fails a bomb, a truncated file, a corrupt one, a type swapped after complete and an animation; then processes a good photo', async () => {
    const patient = await newPatient(app);
    const good = await makeNoiseJpeg(400, 300);
    const bomb = await uploadImage(app, patient, JPEG, await makeJpegBomb());
    const truncated = await uploadImage(app, patient, JPEG, good.subarray(0, Math.floor(good.length / 2)));
    const corrupt = await uploadImage(
      app,
      patient,
      JPEG,
      Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 0x5a)]),
    );
    const animated = await uploadImage(
      app,
      patient,
      { view: 'front', content_type: 'image/webp' },
      await makeAnimatedWebp(),
    );
    // Completed as a JPEG, then overwritten with the still-open presigned POST: the worker
    // reads what is there now, not what complete saw.
    const started = await startUpload(app, patient, JPEG);
    expect((await postToS3(started.upload, good)).status).toBe(204);
    expect((await complete(app, patient, started.id)).status).toBe(200);
    expect((await postToS3(started.upload, await makeAnimatedWebp(1))).status).toBe(204);

    const rssBefore = process.memoryUsage().rss;
    worker = await startTestWorker(app.config);
    const expected: Array<[string, string]> = [
      [bomb.id, 'too_many_pixels'],
      [truncated.id, 'corrupt'],
      [corrupt.id, 'corrupt'],
      [animated.id, 'animated'],
      [started.id, 'type_mismatch'],
    ];
    for (const [id, reason] of expected) {
      const image = await waitForProcessed(app, patient, id);
      expect([id, image.status, image.failure_reason, image.url, image.thumbnail_url]).toEqual([
        id,
        'failed',
        reason,
        null,
        null,
      ]);
      await waitFor(
        () => objectsOf(patient, id),
        (objects) => objects.length === 0,
        15_000,
        `objects of ${reason} deleted`,
      );
    }
    // A 65000 × 65000 bomb would be 12 GB of pixels: it was refused from its header.
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    expect(rssGrowth).toBeLessThan(150 * 1024 * 1024);

    const after = await uploadImage(app, patient, JPEG, good);
    expect(await waitForProcessed(app, patient, after.id)).toMatchObject({
      status: 'ready',
      width: 400,
      height: 300,
    });
    const failures = await worker.metrics.registry.getSingleMetricAsString('photo_processing_failures_total');
    for (const reason of ['too_many_pixels', 'corrupt', 'animated', 'type_mismatch'])
      expect(failures).toContain(`reason="${reason}"`);
  });
});

describe('a photo deleted or an account erased while processing is under way leaves no object', () => {
  it('deletes the display version and thumbnail written after the photo was deleted', async () => {
    const patient = await newPatient(app);
    const image = await uploadImage(app, patient, JPEG, await makePhoneJpeg(320, 240, { gps: true }));
    const keys = derivedObjectKeys(image.key);
    let writtenAfterDeletion: number | undefined;
    worker = await startTestWorker(app.config, [
      {
        job: processImageJob,
        process: makeProcessImage({
          // Rendered; the app deletes the photo, and the worker deletes what it owed, before the write.
          beforeWrite: async () => {
            const deleted = await app.request(`${patient.base}/${image.id}`, {
              method: 'DELETE',
              token: patient.token,
            });
            if (deleted.status !== 204) throw new Error(`DELETE answered ${deleted.status}`);
            await waitFor(
              () => app.deps.knex('image_deletions').where({ object_key: keys.display }),
              (rows) => rows.length > 0 && rows.every((row: { status: string }) => row.status === 'done'),
            );
          },
          afterWrite: async () => {
            writtenAfterDeletion = (await app.s3.head(keys.display)).status;
          },
        }),
      },
    ]);
    await waitFor(
      () => objectsOf(patient, image.id),
      (objects) => writtenAfterDeletion !== undefined && objects.length === 0,
      20_000,
      'no object left',
    );
    expect(writtenAfterDeletion).toBe(200);
    expect(await app.deps.knex('images').where({ id: image.id })).toEqual([]);
  });

  it('deletes what it wrote after the account was erased', async () => {
    const patient = await newPatient(app);
    const image = await uploadImage(app, patient, JPEG, await makePhoneJpeg(320, 240, { gps: true }));
    const keys = derivedObjectKeys(image.key);
    let writtenAfterErasure: number | undefined;
    worker = await startTestWorker(app.config, [
      {
        job: processImageJob,
        process: makeProcessImage({
          beforeWrite: async () => {
            const erased = await app.request(`/auth/users/${patient.user.cognito_sub}`, {
              method: 'DELETE',
              token: patient.token,
            });
            if (erased.status !== 202) throw new Error(`erasure answered ${erased.status}`);
            // The whole erasure, prefix deletion and rows, runs before the worker writes.
            await waitFor(
              () => app.deps.knex('users').where({ id: patient.user.id }),
              (rows) => rows.length === 0,
              20_000,
              'account erased',
            );
          },
          afterWrite: async () => {
            writtenAfterErasure = (await app.s3.head(keys.display)).status;
          },
        }),
      },
    ]);
    await waitFor(
      () => app.s3.list(`users/${patient.user.cognito_sub}/`),
      (objects) => writtenAfterErasure !== undefined && objects.length === 0,
      20_000,
      'no object left',
    );
    expect(writtenAfterErasure).toBe(200);
  });
});

describe('sweeper (docs/dispatch.md#sweeper): a photo whose processing job was lost', () => {
  it('is handed to the worker again and ends ready', async () => {
    const patient = await newPatient(app);
    const image = await uploadImage(app, patient, JPEG, await makePhoneJpeg(64, 64));
    // As if Redis lost the job: the row says processing, no job exists.
    const queue = app.deps.queues.of(imageProcessingQueue);
    await (await queue.getJob(jobIdFor(processImageJob, image.id)))!.remove();
    expect(await queue.getJob(jobIdFor(processImageJob, image.id))).toBeUndefined();
    await app.deps
      .knex('images')
      .where({ id: image.id })
      .update({ uploaded_at: new Date(Date.now() - 10 * 60_000) });
    const owed = sweepSources.find((source) => source.kind === 'image_processing')!;
    expect(await owed.oldestOwedSince(app.deps.knex)).toBeInstanceOf(Date);

    expect(
      await sweep(app.deps.knex, app.deps.dispatcher, sweepSources, app.deps.logger),
    ).toBeGreaterThanOrEqual(1);
    expect(await queue.getJob(jobIdFor(processImageJob, image.id))).toBeDefined();
    worker = await startTestWorker(app.config);
    expect(await waitForProcessed(app, patient, image.id)).toMatchObject({ status: 'ready', width: 64 });
    expect(await owed.oldestOwedSince(app.deps.knex)).toBeNull();
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import sharp from 'sharp';
import { startTestApp, type TestApp } from '../../support/app.js';
import { waitForProcessed } from '../../support/photo-fixtures.js';
import { startTestWorker } from '../../support/worker.js';
import {
  complete,
  makePng,
  newPatient,
  postToS3,
  startUpload,
  uploadImage,
  type ImageBody,
  type StartedUpload,
} from '../../support/image-fixtures.js';

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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function policyOf(started: StartedUpload): { expiration: string; conditions: unknown[] } {
  return JSON.parse(Buffer.from(started.upload.fields.Policy!, 'base64').toString('utf8')) as {
    expiration: string;
    conditions: unknown[];
  };
}

async function download(url: string): Promise<{ status: number; bytes: Buffer; type: string | null }> {
  const response = await fetch(url);
  return {
    status: response.status,
    bytes: Buffer.from(await response.arrayBuffer()),
    type: response.headers.get('content-type'),
  };
}

describe('a photo from upload to download (docs/resources.md#photos, against a real S3 server)', () => {
  it('uploads a real PNG through the presigned POST, completes it, lists it processing, then ready with its processed version', async () => {
    const patient = await newPatient(app);
    const png = makePng(16, 16);
    const before = Date.now();

    const response = await app.request(patient.base, {
      method: 'POST',
      token: patient.token,
      json: {
        view: 'front',
        content_type: 'image/png',
        aligner_number: 3,
        taken_at: '2026-11-20T08:30:00+01:00',
      },
    });
    expect(response.status).toBe(201);
    const started = (await response.json()) as StartedUpload;
    expect(started).toEqual({
      id: expect.stringMatching(UUID),
      status: 'pending',
      upload: {
        url: `${app.s3.endpoint}/${app.s3.bucket}`,
        fields: expect.any(Object),
        expires_at: expect.any(String),
      },
    });
    // The key is the server's: the user's prefix, the image id, the type's extension.
    expect(started.upload.fields).toMatchObject({
      key: `users/${patient.user.cognito_sub}/images/${started.id}.png`,
      'Content-Type': 'image/png',
      bucket: app.s3.bucket,
    });
    // The policy S3 enforces: exact type and key, 1 byte to IMAGE_MAX_BYTES, 10 minutes.
    const policy = policyOf(started);
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        ['eq', '$Content-Type', 'image/png'],
        ['content-length-range', 1, app.config.IMAGE_MAX_BYTES],
        { key: started.upload.fields.key },
      ]),
    );
    expect(Date.parse(started.upload.expires_at)).toBe(Date.parse(policy.expiration));
    expect(Date.parse(started.upload.expires_at) - before).toBeGreaterThan(598_000);
    expect(Date.parse(started.upload.expires_at) - before).toBeLessThanOrEqual(601_000);

    // Not a photo until completed.
    expect((await app.request(`${patient.base}/${started.id}`, { token: patient.token })).status).toBe(404);

    const posted = await postToS3(started.upload, png);
    expect(posted.status).toBe(204);
    expect(await app.s3.head(started.upload.fields.key!)).toMatchObject({ status: 200, size: png.length });

    const completed = await complete(app, patient, started.id);
    expect(completed.status).toBe(200);
    const accepted = (await completed.json()) as ImageBody;
    expect(accepted).toEqual({
      id: started.id,
      status: 'processing',
      view: 'front',
      content_type: 'image/png',
      aligner_number: 3,
      taken_at: '2026-11-20T07:30:00.000Z',
      size_bytes: png.length,
      created_at: expect.any(String),
      uploaded_at: expect.any(String),
      processed_at: null,
      width: null,
      height: null,
      failure_reason: null,
      url: null,
      thumbnail_url: null,
      url_expires_at: null,
    });
    // Listed while processing, with nothing to fetch yet.
    const early = (await (await app.request(patient.base, { token: patient.token })).json()) as {
      items: ImageBody[];
    };
    expect(early.items).toEqual([
      expect.objectContaining({ id: started.id, status: 'processing', url: null }),
    ]);

    worker = await startTestWorker(app.config);
    const image = await waitForProcessed(app, patient, started.id);
    expect(image).toMatchObject({
      status: 'ready',
      width: 16,
      height: 16,
      processed_at: expect.any(String),
      url: expect.stringContaining(`${app.s3.endpoint}/${app.s3.bucket}/users/`),
      thumbnail_url: expect.stringContaining(`${app.s3.endpoint}/${app.s3.bucket}/users/`),
    });
    const urlLifetime = Date.parse(image.url_expires_at!) - Date.now();
    expect(urlLifetime).toBeGreaterThan(880_000);
    expect(urlLifetime).toBeLessThanOrEqual(900_000);
    expect(new URL(image.url!).searchParams.get('X-Amz-Expires')).toBe('900');
    expect(new URL(image.thumbnail_url!).searchParams.get('X-Amz-Expires')).toBe('900');

    const listed = await app.request(patient.base, { token: patient.token });
    expect(listed.status).toBe(200);
    const page = (await listed.json()) as { items: ImageBody[]; next_cursor: string | null };
    expect(page.items.map((item) => item.id)).toEqual([started.id]);
    expect(page.next_cursor).toBeNull();

    // Only processed bytes leave the service: a JPEG of the picture, never the upload.
    for (const url of [image.url!, page.items[0]!.url!, image.thumbnail_url!]) {
      const fetched = await download(url);
      expect(fetched.status).toBe(200);
      expect(fetched.type).toBe('image/jpeg');
      expect(fetched.bytes.equals(png)).toBe(false);
      expect(await sharp(fetched.bytes).metadata()).toMatchObject({ format: 'jpeg', width: 16, height: 16 });
    }

    const row = await app.deps.knex('images').where({ id: started.id }).first();
    expect(row).toMatchObject({ status: 'uploaded', processing_state: 'ready', size_bytes: png.length });
  });

  it('answers an already completed image again (complete is idempotent)', async () => {
    const patient = await newPatient(app);
    const image = await uploadImage(app, patient);
    const again = await complete(app, patient, image.id);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({
      id: image.id,
      status: 'processing',
      uploaded_at: image.uploaded_at,
    });
  });

  it('answers 422 object_missing before the file is uploaded, and completes once it is', async () => {
    const patient = await newPatient(app);
    const started = await startUpload(app, patient, { view: 'smile', content_type: 'image/png' });
    const early = await complete(app, patient, started.id);
    expect(early.status).toBe(422);
    expect(await early.json()).toMatchObject({ code: 'object_missing', status: 422 });
    expect((await app.deps.knex('images').where({ id: started.id }).first()).status).toBe('pending');

    expect((await postToS3(started.upload, makePng(2, 2))).status).toBe(204);
    const completed = await complete(app, patient, started.id);
    expect(completed.status).toBe(200);
  });

  it('lists uploaded photos only, newest first, filtered by view and aligner number, page by page', async () => {
    const patient = await newPatient(app);
    const first = await uploadImage(app, patient, {
      view: 'front',
      content_type: 'image/png',
      aligner_number: 1,
    });
    const second = await uploadImage(app, patient, {
      view: 'left',
      content_type: 'image/png',
      aligner_number: 2,
    });
    const third = await uploadImage(app, patient, {
      view: 'left',
      content_type: 'image/png',
      aligner_number: 1,
    });
    await startUpload(app, patient, { view: 'left', content_type: 'image/png' }); // pending: not listed

    const list = async (query: string) => {
      const response = await app.request(`${patient.base}${query}`, { token: patient.token });
      expect(response.status).toBe(200);
      return (await response.json()) as { items: ImageBody[]; next_cursor: string | null };
    };

    const pageOne = await list('?limit=2');
    expect(pageOne.items.map((item) => item.id)).toEqual([third.id, second.id]);
    expect(pageOne.next_cursor).toEqual(expect.any(String));
    const pageTwo = await list(`?limit=2&cursor=${pageOne.next_cursor}`);
    expect(pageTwo.items.map((item) => item.id)).toEqual([first.id]);
    expect(pageTwo.next_cursor).toBeNull();

    expect((await list('?view=left')).items.map((item) => item.id)).toEqual([third.id, second.id]);
    expect((await list('?aligner_number=1')).items.map((item) => item.id)).toEqual([third.id, first.id]);
    expect((await list('?view=left&aligner_number=2')).items.map((item) => item.id)).toEqual([second.id]);
    expect((await list('?view=upper')).items).toEqual([]);
  });
});

describe('credentials never reach a log line (docs/operations.md#logs)', () => {
  it('logs no signature, credential or policy of the presigned POST or GET URLs handed out', async () => {
    const patient = await newPatient(app);
    const started = await startUpload(app, patient);
    await postToS3(started.upload, makePng(3, 3));
    expect((await complete(app, patient, started.id)).status).toBe(200);
    worker = await startTestWorker(app.config);
    const completed = await waitForProcessed(app, patient, started.id);
    const listed = (await (await app.request(patient.base, { token: patient.token })).json()) as {
      items: ImageBody[];
    };
    // A caller sending signed-URL parameters to the API itself: logged, but redacted.
    const echoed = await app.request(
      `${patient.base}?X-Amz-Signature=deadbeefcafe0001&X-Amz-Credential=S3RVER%2F20261128%2Fsecretscope`,
      { token: patient.token },
    );
    expect(echoed.status).toBe(200);

    const secrets = [
      started.upload.fields['X-Amz-Signature']!,
      started.upload.fields['X-Amz-Credential']!,
      started.upload.fields.Policy!,
      'deadbeefcafe0001',
      'secretscope',
      ...[completed.url!, completed.thumbnail_url!, ...listed.items.map((item) => item.url!)].flatMap(
        (url) => {
          const params = new URL(url).searchParams;
          return [params.get('X-Amz-Signature')!, params.get('X-Amz-Credential')!];
        },
      ),
    ];
    expect(secrets.every((secret) => typeof secret === 'string' && secret.length > 8)).toBe(true);
    const logs = app.logs.text();
    expect(logs).toContain('X-Amz-Signature=[redacted]');
    for (const secret of secrets) expect(logs).not.toContain(secret);
    expect(logs).not.toMatch(/X-Amz-Signature=(?!\[redacted\])/i);
    expect(logs).not.toMatch(/X-Amz-Credential=(?!\[redacted\])/i);
  });
});

import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { crc32, deflateSync } from 'node:zlib';
import type { User } from '../../src/users/model.js';
import { tokenFor, type TestApp } from './app.js';
import { createUser } from './factories.js';

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A real, decodable PNG (8-bit RGB). `noise` fills it with random pixels, which do not
 * compress: the file is then at least width × height × 3 bytes.
 */
export function makePng(width: number, height: number, noise = false): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type RGB, deflate, no filter, no interlace
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y += 1) {
    const start = y * (width * 3 + 1);
    rows[start] = 0; // filter: none
    const pixels = noise ? randomBytes(width * 3) : Buffer.alloc(width * 3, (y * 37) % 256);
    pixels.copy(rows, start + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(rows)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

export interface Upload {
  url: string;
  fields: Record<string, string>;
  expires_at: string;
}

export interface StartedUpload {
  id: string;
  status: 'pending';
  upload: Upload;
}

/**
 * What the app does with a presigned POST: a multipart form to the S3 server with
 * every field given, then the file last. `fields` overrides some (a lying client).
 */
export async function postToS3(
  upload: Upload,
  bytes: Uint8Array,
  options: { fields?: Record<string, string>; fileType?: string } = {},
): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries({ ...upload.fields, ...options.fields }))
    form.append(name, value);
  form.append('file', new Blob([bytes], { type: options.fileType ?? 'application/octet-stream' }), 'photo');
  return fetch(upload.url, { method: 'POST', body: form });
}

export interface Patient {
  user: User;
  token: string;
  /** `/auth/users/{sub}/images` */
  base: string;
}

export async function newPatient(app: TestApp): Promise<Patient> {
  const user = await createUser(app.deps.knex);
  return { user, token: await tokenFor(user.cognito_sub), base: `/auth/users/${user.cognito_sub}/images` };
}

export async function startUpload(
  app: TestApp,
  patient: Patient,
  body: Record<string, unknown> = { view: 'front', content_type: 'image/png' },
): Promise<StartedUpload> {
  const response = await app.request(patient.base, { method: 'POST', token: patient.token, json: body });
  if (response.status !== 201)
    throw new Error(`upload not started: ${response.status} ${await response.text()}`);
  return (await response.json()) as StartedUpload;
}

export interface ImageBody {
  id: string;
  status: 'processing' | 'ready' | 'failed';
  view: string;
  content_type: string;
  aligner_number: number | null;
  taken_at: string | null;
  size_bytes: number;
  created_at: string;
  uploaded_at: string;
  processed_at: string | null;
  width: number | null;
  height: number | null;
  failure_reason: string | null;
  url: string | null;
  thumbnail_url: string | null;
  url_expires_at: string | null;
}

/**
 * `POST …/complete`. The app sends `{}`: the API answers 415 to a POST whose empty
 * body has no JSON content type (middleware/require-json.ts counts Content-Length: 0 as a body).
 */
export function complete(
  app: TestApp,
  patient: Patient,
  imageId: string,
  token = patient.token,
): Promise<Response> {
  return app.request(`${patient.base}/${imageId}/complete`, { method: 'POST', token, json: {} });
}

/** The whole happy path: start, upload to S3, complete. */
export async function uploadImage(
  app: TestApp,
  patient: Patient,
  body: Record<string, unknown> = { view: 'front', content_type: 'image/png' },
  bytes: Uint8Array = makePng(4, 4),
): Promise<ImageBody & { key: string; bytes: Uint8Array }> {
  const started = await startUpload(app, patient, body);
  const posted = await postToS3(started.upload, bytes);
  if (!posted.ok) throw new Error(`S3 refused the upload: ${posted.status} ${await posted.text()}`);
  const completed = await complete(app, patient, started.id);
  if (completed.status !== 200)
    throw new Error(`not completed: ${completed.status} ${await completed.text()}`);
  return { ...((await completed.json()) as ImageBody), key: started.upload.fields.key!, bytes };
}

/**
 * A request whose path is sent exactly as written: fetch would resolve `%2E%2E`
 * segments before sending, and the point is to see what the server does with them.
 */
export function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; body: string }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: url.hostname, port: url.port, method, path, headers },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

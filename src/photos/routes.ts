import { Image } from './model.js';
import { cursorTimestamp, decodeCursor, pageSchema, toPage } from '../api/pagination.js';
import { defineRoute } from '../api/route.js';
import { completeUpload } from './complete-upload.js';
import { createUpload } from './create-upload.js';
import { findOwnImage } from './find-image.js';
import { presentImage } from './present.js';
import { removeImage } from './remove-image.js';
import {
  createImageBody,
  imageOwnerParams,
  imageParams,
  imageResponse,
  listImagesQuery,
  uploadResponse,
} from './schema.js';
import { withStorage } from './storage.js';

const BASE = '/auth/users/:cognito_sub/images';

const problems = {
  401: { description: 'Missing, malformed or expired token' },
  403: { description: 'The path names another user' },
  422: { description: 'Invalid path, query or body' },
};
const storageDown = { 503: { description: 'Photo storage is unavailable; retry' } };

export const imageRoutes = [
  defineRoute({
    method: 'post',
    path: BASE,
    summary: 'Start a photo upload: a presigned S3 POST for a key chosen by the server (10 minutes)',
    tag: 'photos',
    auth: 'jwt',
    idempotent: true,
    params: imageOwnerParams,
    body: createImageBody,
    responses: {
      201: { description: 'Upload started; send the file with the presigned POST', schema: uploadResponse },
      ...problems,
      422: {
        description:
          'Invalid path or body; heic_not_supported (image/heic: the app converts the photo to JPEG before uploading)',
      },
      404: { description: 'No profile' },
      429: { description: 'Too many pending uploads (IMAGE_PENDING_MAX)' },
      ...storageDown,
    },
    handler: async (ctx, { params, body }, deps) => {
      const { id, upload } = await createUpload(deps, params.cognito_sub, body);
      ctx.status = 201;
      ctx.body = {
        id,
        status: 'pending',
        upload: { url: upload.url, fields: upload.fields, expires_at: upload.expiresAt.toISOString() },
      };
    },
  }),
  defineRoute({
    method: 'post',
    path: `${BASE}/:id/complete`,
    summary:
      'Finish an upload: the object is checked (exists, size, type) and the photo is listed as processing until the worker has made its display version and thumbnail',
    tag: 'photos',
    auth: 'jwt',
    idempotent: true,
    params: imageParams,
    responses: {
      200: { description: 'The uploaded photo (processing)', schema: imageResponse },
      ...problems,
      404: { description: 'No such image (or no profile)' },
      422: {
        description:
          'Invalid id; object_missing (nothing uploaded yet); object_invalid (refused and deleted: too large, empty or not the declared type)',
      },
      ...storageDown,
    },
    handler: async (ctx, { params }, deps) => {
      const image = await completeUpload(deps, params.cognito_sub, params.id);
      ctx.body = await withStorage(deps.logger, 'presign download', () => presentImage(image, deps.s3));
    },
  }),
  defineRoute({
    method: 'get',
    path: BASE,
    summary:
      'Uploaded photos, newest first; each ready one with download URLs (display version, thumbnail) valid 15 minutes',
    tag: 'photos',
    auth: 'jwt',
    params: imageOwnerParams,
    query: listImagesQuery,
    responses: {
      200: { description: 'A page of photos', schema: pageSchema(imageResponse) },
      ...problems,
      404: { description: 'No profile' },
      ...storageDown,
    },
    requiresProfile: true,
    handler: async (ctx, { query, user }, deps) => {
      const after = decodeCursor(query.cursor, ['timestamp', 'uuid']);
      const rows = (await deps
        .knex<Image>('images')
        .select('*', deps.knex.raw(cursorTimestamp('created_at')))
        .where({ user_id: user.id, status: 'uploaded' })
        .modify((q) => {
          if (query.view) void q.where({ view: query.view });
          if (query.aligner_number !== undefined) void q.where({ aligner_number: query.aligner_number });
          if (after) void q.whereRaw('(created_at, id) < (?::timestamptz, ?::uuid)', after);
        })
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(query.limit + 1)) as Array<Image & { cursor_at: string }>;
      const page = toPage(
        rows,
        query.limit,
        (row) => [row.cursor_at, row.id],
        (row) => row,
      );
      const items = await withStorage(deps.logger, 'presign download', () =>
        Promise.all(page.items.map((image) => presentImage(image, deps.s3))),
      );
      ctx.body = { items, next_cursor: page.next_cursor };
    },
  }),
  defineRoute({
    method: 'get',
    path: `${BASE}/:id`,
    summary: 'One uploaded photo; once ready, with download URLs valid 15 minutes',
    tag: 'photos',
    auth: 'jwt',
    params: imageParams,
    responses: {
      200: { description: 'The photo', schema: imageResponse },
      ...problems,
      404: { description: 'No such uploaded image (pending uploads are not photos yet)' },
      ...storageDown,
    },
    handler: async (ctx, { params }, deps) => {
      const image = await findOwnImage(deps.knex, params.cognito_sub, params.id, 'uploaded');
      ctx.body = await withStorage(deps.logger, 'presign download', () => presentImage(image, deps.s3));
    },
  }),
  defineRoute({
    method: 'delete',
    path: `${BASE}/:id`,
    summary: 'Delete a photo (or cancel a pending upload); the object is deleted by the worker',
    tag: 'photos',
    auth: 'jwt',
    params: imageParams,
    responses: {
      204: { description: 'Deleted' },
      ...problems,
      404: { description: 'No such image' },
    },
    requiresProfile: true,
    handler: async (ctx, { params, user }, deps) => {
      await removeImage(deps.knex, deps.dispatcher, user.id, params.id);
      ctx.status = 204;
    },
  }),
];

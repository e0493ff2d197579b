import { deleteImageJob } from './jobs.js';
import type { Knex } from 'knex';
import type { JobRequest } from '../shared/jobs/queues.js';

export const IMAGE_VIEWS = ['front', 'left', 'right', 'upper', 'lower', 'smile', 'other'] as const;
export type ImageView = (typeof IMAGE_VIEWS)[number];

/** The accepted types and the extension each object key gets. */
export const IMAGE_EXTENSIONS = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/heic': 'heic',
  'image/webp': 'webp',
} as const;
export type ImageContentType = keyof typeof IMAGE_EXTENSIONS;
export const IMAGE_CONTENT_TYPES = Object.keys(IMAGE_EXTENSIONS) as [ImageContentType, ...ImageContentType[]];

/** `pending` while the app holds a presigned POST; `uploaded` once `complete` has checked the object. */
export type ImageStatus = 'pending' | 'uploaded';

/**
 * How far the worker got with an uploaded photo (docs/resources.md#photos): `processing` until
 * its display version exists, `ready` once it does (the original is then deleted), or
 * `failed` (every object deleted; `failure_reason` says why).
 */
export const PROCESSING_STATES = ['processing', 'ready', 'failed'] as const;
export type ProcessingState = (typeof PROCESSING_STATES)[number];

/** Why a photo ended failed, as the app may show it (docs/resources.md#photos). */
export const PROCESSING_FAILURES = [
  'too_many_pixels',
  'corrupt',
  'type_mismatch',
  'animated',
  'timeout',
  'processing_error',
] as const;
export type ProcessingFailure = (typeof PROCESSING_FAILURES)[number];

/** A progress photo (docs/resources.md#photos). The bytes live in S3 under `object_key`. */
export interface Image {
  id: string;
  user_id: string;
  view: ImageView;
  content_type: ImageContentType;
  aligner_number: number | null;
  taken_at: Date | null;
  object_key: string;
  status: ImageStatus;
  /** bigint, read as a number (db/knex.ts): at most IMAGE_MAX_BYTES. */
  size_bytes: number | null;
  upload_expires_at: Date;
  created_at: Date;
  uploaded_at: Date | null;
  /** Null while pending. */
  processing_state: ProcessingState | null;
  failure_reason: ProcessingFailure | null;
  /** The processed JPEGs, the only bytes ever served; set once `ready`. */
  display_key: string | null;
  thumbnail_key: string | null;
  /** The display version's, upright. */
  width: number | null;
  height: number | null;
  processed_at: Date | null;
}

export type ImageDeletionReason =
  | 'image_deleted'
  | 'object_invalid'
  | 'account_erased'
  | 'upload_abandoned'
  | 'original_processed'
  | 'processing_failed';

/** One DeleteObject the worker owes (docs/dispatch.md#rows-first); outlives the image row and the user. */
export interface ImageDeletion {
  id: string;
  object_key: string;
  reason: ImageDeletionReason;
  status: 'pending' | 'done' | 'failed';
  not_before: Date;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  completed_at: Date | null;
}

/**
 * A `.` or `..` subject would make a key that URL parsers rewrite (`users/../images/…`
 * becomes `images/…`): such a subject gets no objects at all. Every other character
 * the subject schema allows is literal in a key.
 */
export function isKeySafeSubject(cognitoSub: string): boolean {
  return cognitoSub.length > 0 && cognitoSub !== '.' && cognitoSub !== '..' && !cognitoSub.includes('/');
}

/** Every object of a user lives under this prefix; the trailing slash keeps `ab` from matching `abc`. */
export function userImagesPrefix(cognitoSub: string): string {
  if (!isKeySafeSubject(cognitoSub)) throw new Error('This subject cannot name an object prefix');
  return `users/${cognitoSub}/`;
}

/** The object key, made by the server only: no request field other than the checked subject reaches it. */
export function imageObjectKey(cognitoSub: string, id: string, contentType: ImageContentType): string {
  return `${userImagesPrefix(cognitoSub)}images/${id}.${IMAGE_EXTENSIONS[contentType]}`;
}

/**
 * The processed versions live next to the original, under the same user prefix (so the
 * erasure's prefix deletion covers them) and with names made from the original's key
 * alone: whoever removes an image can name every object it may have, whatever its row says.
 */
export function derivedObjectKeys(objectKey: string): { display: string; thumbnail: string } {
  const stem = objectKey.replace(/\.[a-z]+$/, '');
  return { display: `${stem}.display.jpg`, thumbnail: `${stem}.thumb.jpg` };
}

/**
 * A presigned POST is still honoured for a short while after it expires (an upload
 * that started just in time), so a second deletion pass waits this long after it.
 */
export const LATE_UPLOAD_GRACE_MS = 5 * 60_000;

export interface ObjectDeletion {
  objectKey: string;
  reason: ImageDeletionReason;
  notBefore?: Date;
}

/**
 * Records deletions the worker owes and asks for their jobs (enqueued by the caller
 * after commit). The same key and time twice is one row, so a re-run adds nothing.
 */
export async function recordObjectDeletions(
  knex: Knex,
  jobs: JobRequest[],
  deletions: readonly ObjectDeletion[],
): Promise<void> {
  if (deletions.length === 0) return;
  const rows = (await knex('image_deletions')
    .insert(
      deletions.map((deletion) => ({
        object_key: deletion.objectKey,
        reason: deletion.reason,
        ...(deletion.notBefore ? { not_before: deletion.notBefore } : {}),
      })),
    )
    .onConflict(['object_key', 'not_before'])
    .ignore()
    .returning(['id', 'not_before'])) as Array<{ id: string; not_before: Date }>;
  for (const row of rows) jobs.push({ job: deleteImageJob, rowId: row.id, runAt: row.not_before });
}

/**
 * The deletions a removed image leaves: its original now, and again after its upload
 * window if that is still open; with `derived`, its display version and thumbnail too
 * (written only by the worker, so once is enough).
 */
export function deletionsForImage(
  image: Pick<Image, 'object_key' | 'upload_expires_at'>,
  reason: ImageDeletionReason,
  options: { now?: Date; derived?: boolean } = {},
): ObjectDeletion[] {
  const now = options.now ?? new Date();
  const lateUploadCheck = new Date(image.upload_expires_at.getTime() + LATE_UPLOAD_GRACE_MS);
  const derived = derivedObjectKeys(image.object_key);
  return [
    { objectKey: image.object_key, reason },
    ...(lateUploadCheck > now ? [{ objectKey: image.object_key, reason, notBefore: lateUploadCheck }] : []),
    ...(options.derived
      ? [
          { objectKey: derived.display, reason },
          { objectKey: derived.thumbnail, reason },
        ]
      : []),
  ];
}

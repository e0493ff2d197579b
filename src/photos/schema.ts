import { z } from 'zod';
import {
  IMAGE_CONTENT_TYPES,
  IMAGE_VIEWS,
  PROCESSING_FAILURES,
  PROCESSING_STATES,
  isKeySafeSubject,
} from './model.js';
import { paginationQuery } from '../api/pagination.js';
import { cognitoSubParams } from '../users/schema.js';

/** A photo's time may run a little ahead of ours: phones' clocks drift. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** The subject becomes the object prefix, so one that a URL parser would rewrite is refused. */
export const imageOwnerParams = z.object({
  cognito_sub: cognitoSubParams.shape.cognito_sub.refine(isKeySafeSubject, {
    error: 'cannot name a storage location',
  }),
});

export const imageParams = imageOwnerParams.extend({
  id: z.uuid({ error: 'must be an image id (UUID)' }),
});

const alignerNumber = z.number().int({ error: 'must be a whole number' }).min(1).max(100);

// Strict: a field the schema does not know (`key`, `bucket`…) is an error, never ignored.
export const createImageBody = z.strictObject({
  view: z.enum(IMAGE_VIEWS),
  content_type: z.enum(IMAGE_CONTENT_TYPES),
  aligner_number: alignerNumber.nullable().optional(),
  taken_at: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 date-time such as 2026-11-28T09:00:00Z' })
    // `!(>)`: a value that is not a date-time at all already has its own error.
    .refine((value) => !(Date.parse(value) > Date.now() + CLOCK_SKEW_MS), {
      error: 'must not be in the future',
    })
    .nullable()
    .optional(),
});
export type CreateImageBody = z.output<typeof createImageBody>;

export const listImagesQuery = z.object({
  ...paginationQuery,
  view: z.enum(IMAGE_VIEWS).optional(),
  aligner_number: z.coerce.number({ error: 'must be a number' }).pipe(alignerNumber).optional(),
});
export type ListImagesQuery = z.output<typeof listImagesQuery>;

export const uploadResponse = z.object({
  id: z.uuid(),
  status: z.literal('pending'),
  upload: z.object({
    url: z.string(),
    fields: z.record(z.string(), z.string()),
    expires_at: z.string(),
  }),
});

export const imageResponse = z.object({
  id: z.uuid(),
  status: z
    .enum(PROCESSING_STATES)
    .describe(
      'processing: accepted, the worker is making its display version and thumbnail (no URLs yet); ready: URLs given; failed: the file could not become a photo (see failure_reason), nothing is stored, delete it and upload again',
    ),
  view: z.enum(IMAGE_VIEWS),
  content_type: z
    .enum(IMAGE_CONTENT_TYPES)
    .describe('The type uploaded; what the URLs serve is always image/jpeg'),
  aligner_number: z.number().int().nullable(),
  taken_at: z
    .string()
    .nullable()
    .describe("As sent by the app; when it sent none, the photo's own capture time (EXIF) once processed"),
  size_bytes: z.number().int().describe('Size of the file uploaded'),
  created_at: z.string(),
  uploaded_at: z.string(),
  processed_at: z.string().nullable().describe('When processing ended (ready or failed)'),
  width: z
    .number()
    .int()
    .nullable()
    .describe('Width of the display version in pixels, upright; null until ready'),
  height: z
    .number()
    .int()
    .nullable()
    .describe('Height of the display version in pixels, upright; null until ready'),
  failure_reason: z
    .enum(PROCESSING_FAILURES)
    .nullable()
    .describe(
      'When failed: too_many_pixels (over IMAGE_MAX_PIXELS), corrupt (damaged or truncated), type_mismatch (content is not the declared type), animated (more than one frame), timeout, processing_error (our side, after retries)',
    ),
  url: z
    .string()
    .nullable()
    .describe(
      'Presigned GET of the display version (JPEG, metadata stripped, upright), valid 15 minutes; null until ready',
    ),
  thumbnail_url: z
    .string()
    .nullable()
    .describe(
      'Presigned GET of the thumbnail (JPEG, 320 px on the long side), valid 15 minutes; null until ready',
    ),
  url_expires_at: z.string().nullable().describe('When both URLs expire; null until ready'),
});
export type ImageResponse = z.output<typeof imageResponse>;

import { z } from 'zod';
import { IMAGE_CONTENT_TYPES, IMAGE_VIEWS, isKeySafeSubject } from './model.js';
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
  status: z.literal('uploaded'),
  view: z.enum(IMAGE_VIEWS),
  content_type: z.enum(IMAGE_CONTENT_TYPES),
  aligner_number: z.number().int().nullable(),
  taken_at: z.string().nullable(),
  size_bytes: z.number().int(),
  created_at: z.string(),
  uploaded_at: z.string(),
  url: z.string(),
  url_expires_at: z.string(),
});
export type ImageResponse = z.output<typeof imageResponse>;

import { z } from 'zod';
import { isLocalDate } from '../shared/time/local-time.js';
import { pageSchema, paginationQuery } from '../api/pagination.js';

// Clear aligners date from 1998; a year past 2099 is a typo. Bounding the dates also
// keeps every derived date (up to 100 aligners × 30 days later) a plain YYYY-MM-DD.
export const EARLIEST_DATE = '2000-01-01';
export const LATEST_DATE = '2099-12-31';

const DATE_MESSAGE = 'must be a date (YYYY-MM-DD)';

// z.iso.date() documents `format: date`; isLocalDate still refuses years 0000 and 9999.
export const localDate = z.iso
  .date({ error: DATE_MESSAGE, abort: true })
  .refine(isLocalDate, { error: DATE_MESSAGE, abort: true })
  .refine((value) => value >= EARLIEST_DATE && value <= LATEST_DATE, {
    error: `must be between ${EARLIEST_DATE} and ${LATEST_DATE}`,
  });

/** A JSON number that is a whole number in range: strings, floats and booleans are refused, not coerced. */
export const wholeNumber = (min: number, max: number) =>
  z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

export const TREATMENT_STATUSES = ['not_started', 'active', 'paused', 'completed'] as const;

// Strict: a field the schema does not know (`extension_days`, `status: "completed"`…) is an error.
export const putTreatmentBody = z
  .strictObject({
    total_aligners: wholeNumber(1, 100),
    current_aligner: wholeNumber(1, 100),
    change_interval_days: wholeNumber(1, 30),
    started_on: localDate,
    current_aligner_started_on: localDate,
    daily_wear_goal_minutes: wholeNumber(60, 1440).default(1320),
    // `completed` comes only from recording the last aligner; `not_started` is never set by a client.
    status: z.enum(['active', 'paused'], { error: 'must be active or paused' }).default('active'),
  })
  // Each field is checked on its own first; a pair that disagrees is then the later field's fault.
  .superRefine(
    (body, ctx) => {
      if (body.current_aligner > body.total_aligners) {
        ctx.addIssue({
          code: 'custom',
          path: ['current_aligner'],
          message: `must be at most total_aligners (${body.total_aligners})`,
        });
      }
      if (body.current_aligner_started_on < body.started_on) {
        ctx.addIssue({
          code: 'custom',
          path: ['current_aligner_started_on'],
          message: `must not be before started_on (${body.started_on})`,
        });
      }
    },
    { when: (payload) => payload.issues.length === 0 },
  );
export type PutTreatmentBody = z.output<typeof putTreatmentBody>;

export const alignerChangeBody = z.strictObject({
  /** Default: the aligner after the current one. */
  aligner_number: wholeNumber(1, 100).optional(),
  /** Default: today in the user's zone. */
  changed_on: localDate.optional(),
});
export type AlignerChangeBody = z.output<typeof alignerChangeBody>;

export const extensionBody = z.strictObject({
  days: wholeNumber(1, 30),
  // Optional: an app may offer "one more day" without asking why.
  reason: z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, { error: 'must not be empty (omit it or send null instead)' })
    .max(500, { error: 'must be at most 500 characters' })
    .nullable()
    .optional(),
});
export type ExtensionBody = z.output<typeof extensionBody>;

export const alignerChangesQuery = z.object(paginationQuery);
export type AlignerChangesQuery = z.output<typeof alignerChangesQuery>;

export const treatmentResponse = z.object({
  status: z.enum(TREATMENT_STATUSES),
  total_aligners: z.number().int(),
  current_aligner: z.number().int(),
  change_interval_days: z.number().int(),
  started_on: z.iso.date(),
  current_aligner_started_on: z.iso.date(),
  /** Days the current aligner has been extended by (reset by each aligner change). */
  extension_days: z.number().int(),
  /** null when the treatment is completed */
  next_change_on: z.iso.date().nullable(),
  days_left: z.number().int().nullable(),
  progress_percent: z.number(),
  daily_wear_goal_minutes: z.number().int(),
  estimated_completion_on: z.iso.date().nullable(),
  updated_at: z.string(),
});
export type TreatmentResponse = z.output<typeof treatmentResponse>;

/** GET /treatment: the plan, and how the current aligner has been worn (docs/resources.md#aligner-readiness). */
export const treatmentReadResponse = treatmentResponse.extend({
  current_aligner_wear: z.object({
    days: z.number().int(),
    average_wear_minutes: z.number().int().nullable(),
    goal_minutes: z.number().int(),
    deficit_minutes: z.number().int(),
    suggested_extra_days: z.number().int(),
  }),
});
export type TreatmentReadResponse = z.output<typeof treatmentReadResponse>;

export const alignerChangeResponse = z.object({
  id: z.uuid(),
  aligner_number: z.number().int(),
  changed_on: z.iso.date(),
  created_at: z.string(),
});

export const alignerChangeResult = z.object({ change: alignerChangeResponse, treatment: treatmentResponse });

export const alignerChangesPage = pageSchema(alignerChangeResponse);

export const extensionResponse = z.object({
  id: z.uuid(),
  aligner_number: z.number().int(),
  days: z.number().int(),
  reason: z.string().nullable(),
  created_at: z.string(),
});

export const extensionResult = z.object({ extension: extensionResponse, treatment: treatmentResponse });

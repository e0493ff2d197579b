import { z } from 'zod';
import { treatmentReadResponse } from '../treatment/schema.js';
import { pageSchema } from '../api/pagination.js';
import { ADHERENCE_WINDOWS } from './refresh.js';

const wholeNumber = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

/** GET /internal/users/by-email/{email}/adherence (docs/internal-api.md#adherence). */
export const userAdherenceQuery = z.object({ days: wholeNumber(1, 366).default(30) });

export const AT_RISK_MAX_LIMIT = 200;

/** GET /internal/adherence/at-risk (docs/internal-api.md#at-risk). */
export const atRiskQuery = z.object({
  days: z.coerce
    .number({ error: `must be one of ${ADHERENCE_WINDOWS.join(', ')}` })
    .pipe(
      z.union(
        ADHERENCE_WINDOWS.map((days) => z.literal(days)),
        { error: `must be one of ${ADHERENCE_WINDOWS.join(', ')}` },
      ),
    )
    .default(7),
  below_percent: wholeNumber(1, 100).default(85),
  dentist_id: wholeNumber(1, 2_147_483_647).optional(),
  limit: wholeNumber(1, AT_RISK_MAX_LIMIT).default(50),
  cursor: z.string().max(512).optional(),
});

export const adherenceFiguresSchema = z.object({
  days: z.number().int(),
  tracked_days: z.number().int(),
  average_wear_minutes: z.number().int().nullable(),
  goal_minutes: z.number().int(),
  days_goal_met: z.number().int(),
  current_streak_days: z.number().int(),
  unconfirmed_days: z.number().int(),
  current_aligner: z.number().int().nullable(),
  current_aligner_wear: treatmentReadResponse.shape.current_aligner_wear.nullable(),
});

export const atRiskItem = adherenceFiguresSchema.extend({
  email: z.string(),
  dentist_id: z.number().int().nullable(),
  /** No contact from the app on any day of the window. */
  app_silent: z.boolean(),
  /** The window's last day, in the user's zone. */
  through: z.iso.date(),
  computed_at: z.string(),
});

export const atRiskPageSchema = pageSchema(atRiskItem);

import { z } from 'zod';
import { isValidTimeZone } from '../shared/time/time-zone.js';
import { dentistSummary } from '../dentists/schema.js';

// Cognito subs are UUIDs; other identity providers' are opaque. Bounded either way.
export const cognitoSubParams = z.object({
  cognito_sub: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_.:@|-]+$/, { error: 'is not a valid subject' }),
});

const name = z.string().trim().min(1).max(100).nullable().optional();

export const putProfileBody = z.strictObject({
  email: z.email({ error: 'must be an email address' }).max(254),
  first_name: name,
  last_name: name,
  timezone: z
    .string()
    .max(64)
    .refine(isValidTimeZone, { error: 'must be an IANA time zone such as Europe/London' }),
  locale: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { error: 'must be a BCP 47 language tag such as en or en-GB' })
    .default('en'),
});

export type PutProfileBody = z.output<typeof putProfileBody>;

export const profileResponse = z.object({
  cognito_sub: z.string(),
  email: z.string(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  timezone: z.string(),
  locale: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});

/** The profile as its owner sees it: with their current dentist (docs/resources.md#profile). */
export const userProfileResponse = profileResponse.extend({ dentist: dentistSummary.nullable() });

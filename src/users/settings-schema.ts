import { z } from 'zod';

export const REMINDER_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

// Every field optional: a PUT changes the fields it names and keeps the others (a
// toggle in the app sends one field). Strict: an unknown field is an error, not a no-op.
export const putSettingsBody = z.strictObject({
  progress_reminders: z.boolean({ error: 'must be true or false' }).optional(),
  reminder_time: z
    .string({ error: 'must be a local time "HH:MM" from 00:00 to 23:59' })
    .regex(REMINDER_TIME, { error: 'must be a local time "HH:MM" from 00:00 to 23:59' })
    .optional(),
  wear_reminders: z.boolean({ error: 'must be true or false' }).optional(),
  wear_reminder_after_minutes: z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(5, { error: 'must be at least 5' })
    .max(240, { error: 'must be at most 240' })
    .optional(),
  weekly_summary: z.boolean({ error: 'must be true or false' }).optional(),
});
export type PutSettingsBody = z.output<typeof putSettingsBody>;

export const settingsResponse = z.object({
  progress_reminders: z.boolean(),
  reminder_time: z.string(),
  wear_reminders: z.boolean(),
  wear_reminder_after_minutes: z.number().int(),
  weekly_summary: z.boolean(),
});

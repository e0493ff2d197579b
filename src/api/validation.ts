import type { ZodError } from 'zod';
import type { FieldError } from '../shared/errors.js';

/** `body.reminder_time`, `query.limit`, `params.id`: where the bad value was, then why. */
export function fieldErrorsFromZod(error: ZodError, location?: string): FieldError[] {
  return error.issues.map((issue) => ({
    path:
      [location, ...issue.path.map(String)].filter((part) => part !== undefined && part !== '').join('.') ||
      (location ?? ''),
    message: issue.message,
  }));
}

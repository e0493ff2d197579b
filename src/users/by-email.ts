import { z } from 'zod';
import type { Knex } from 'knex';
import { activeUsers, type User } from './model.js';
import { notFound } from '../shared/errors.js';

/**
 * `/internal/users/by-email/{email}/…`: the router has URL-decoded the segment
 * (`%2B` → `+`, `%40` → `@`); a malformed escape is left as sent and fails here.
 */
export const byEmailParams = z.object({
  email: z.email({ error: 'must be an email address' }).max(254),
});

/** Jarvis addresses users by email, in whatever case it has it. Never logged. */
export async function findUserByEmail(knex: Knex, email: string): Promise<User> {
  const user = await activeUsers(knex).whereRaw('lower(email) = lower(?)', [email]).first();
  if (!user) throw notFound('No user has this email');
  return user;
}

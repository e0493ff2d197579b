import type { Knex } from 'knex';
import { Treatment } from './model.js';
import { notFound } from '../shared/errors.js';

export const NO_PLAN_YET = 'No treatment plan yet: set it with PUT /treatment first';

/**
 * Locks the user's row for this transaction and returns their zone. Every write to a
 * user's treatment, settings or wear sessions takes this lock first, the order the
 * reminder re-plan and the profile PUT use too, so two of them never wait on each
 * other in a cycle.
 * An account erased since the request began is a 404, like any missing profile.
 */
export async function lockUser(trx: Knex.Transaction, userId: string): Promise<{ timezone: string }> {
  const user = (await trx('users')
    .where({ id: userId })
    .whereNull('deleted_at')
    .forUpdate()
    .first('timezone')) as { timezone: string } | undefined;
  if (!user) throw notFound('No profile yet: create it with PUT first');
  return user;
}

/** The plan, locked for this transaction (under the user lock taken first); undefined before the first PUT. */
export async function lockTreatment(trx: Knex.Transaction, userId: string): Promise<Treatment | undefined> {
  return trx<Treatment>('treatments').where({ user_id: userId }).forUpdate().first();
}

export async function lockExistingTreatment(trx: Knex.Transaction, userId: string): Promise<Treatment> {
  const treatment = await lockTreatment(trx, userId);
  if (!treatment) throw notFound(NO_PLAN_YET);
  return treatment;
}

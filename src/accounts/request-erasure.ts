import { eraseAccountJob } from './jobs.js';
import type { Knex } from 'knex';
import { commitThenDispatch } from '../shared/db/transaction.js';
import { notFound } from '../shared/errors.js';
import type { Dispatcher } from '../shared/jobs/dispatcher.js';

/**
 * Requests the erasure of an account (docs/resources.md#account-erasure): the profile is gone to every
 * caller as soon as this commits; the worker erases the rest and then the row.
 */
export async function requestErasure(
  knex: Knex,
  dispatcher: Dispatcher,
  cognitoSub: string,
): Promise<{ id: string }> {
  return commitThenDispatch(knex, dispatcher, async (trx, jobs) => {
    const [user] = (await trx('users')
      .where({ cognito_sub: cognitoSub })
      .whereNull('deleted_at')
      .update({ deleted_at: trx.fn.now() })
      .returning(['id'])) as Array<{ id: string }>;
    if (!user) throw notFound('No profile to delete');
    const [erasure] = (await trx('account_erasures')
      .insert({ user_id: user.id, cognito_sub: cognitoSub })
      .returning(['id'])) as Array<{ id: string }>;
    jobs.push({ job: eraseAccountJob, rowId: erasure!.id });
    return { id: erasure!.id };
  });
}

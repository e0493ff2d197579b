import { UnrecoverableError } from 'bullmq';
import type { Knex } from 'knex';
import { DentistChangeRequest, type ChangeRequestStatus } from './change-request-model.js';
import type { Processor } from '../shared/jobs/context.js';
import { isLastAttempt } from '../shared/jobs/attempts.js';

export const LOST_CALL_NOTE =
  'Jarvis answered 409 (a change already pending) after an earlier call of ours got no answer: ' +
  'that call most likely went through, so Jarvis has no ticket id for us.';
export const NO_TICKET_NOTE = 'Jarvis accepted the change but its answer carried no ticket id.';

type Fields = Partial<Pick<DentistChangeRequest, 'jarvis_ticket_id' | 'last_error' | 'note'>>;

/**
 * Moves a request out of `pending`, unless something else moved it meanwhile (e.g. the
 * assignment came through the internal API during the call). Returns the status written.
 */
async function settle(
  knex: Knex,
  id: string,
  status: Exclude<ChangeRequestStatus, 'pending' | 'completed'>,
  fields: Fields,
): Promise<ChangeRequestStatus | undefined> {
  const [row] = (await knex('dentist_change_requests')
    .where({ id, status: 'pending' })
    .update({ ...fields, status, updated_at: knex.fn.now() })
    .returning('status')) as Array<{ status: ChangeRequestStatus }>;
  return row?.status;
}

/**
 * Records that a call is about to be sent, before it is sent (docs/dentists.md#jarvis), and returns
 * what the row said before: a `submit_attempted_at` already set means an earlier call
 * never got its answer. Undefined when the request is no longer pending.
 */
async function claimAttempt(knex: Knex, id: string): Promise<{ unansweredSince: Date | null } | undefined> {
  return knex.transaction(async (trx) => {
    const row = (await trx('dentist_change_requests')
      .where({ id, status: 'pending' })
      .forUpdate()
      .first('submit_attempted_at')) as { submit_attempted_at: Date | null } | undefined;
    if (!row) return undefined;
    await trx('dentist_change_requests')
      .where({ id })
      .update({
        submit_attempted_at: trx.fn.now(),
        attempts: trx.raw('attempts + 1'),
        updated_at: trx.fn.now(),
      });
    return { unansweredSince: row.submit_attempted_at };
  });
}

/**
 * Submits a dentist change to Jarvis (docs/dentists.md#jarvis). Re-reads the row and acts only on a
 * `pending` one, so a duplicate job, a sweeper re-enqueue or a run after a 200 sends
 * nothing. 200 → submitted; 409 → already_pending, or submitted when an earlier call
 * of ours got no answer; other 4xx → failed at once; 5xx and timeouts → retried with
 * backoff, failed after the last attempt.
 */
export const processSubmitDentistChange: Processor = async (job, context) => {
  const { knex, jarvis, logger } = context;
  const request = await knex<DentistChangeRequest>('dentist_change_requests')
    .where({ id: job.data.rowId })
    .first();
  if (!request || request.status !== 'pending') return { skipped: request?.status ?? 'missing' };
  if (!jarvis) return { status: await settle(knex, request.id, 'failed', { last_error: 'not_configured' }) };

  const user = (await knex('users').where({ id: request.user_id }).first('email', 'deleted_at')) as
    { email: string; deleted_at: Date | null } | undefined;
  if (!user || user.deleted_at)
    return { status: await settle(knex, request.id, 'failed', { last_error: 'account_erased' }) };

  const claim = await claimAttempt(knex, request.id);
  if (!claim) return { skipped: 'changed meanwhile' };

  const outcome = await jarvis.changeDentist(user.email, request.dentist_id);
  const log = (status: ChangeRequestStatus | undefined) =>
    logger.info(
      { change_request_id: request.id, outcome: outcome.kind, status },
      'dentist change submitted to Jarvis',
    );

  switch (outcome.kind) {
    case 'submitted': {
      const status = await settle(knex, request.id, 'submitted', {
        jarvis_ticket_id: outcome.ticketId,
        last_error: null,
        note: outcome.ticketId === null ? NO_TICKET_NOTE : null,
      });
      log(status);
      return { status };
    }
    case 'already_pending': {
      const status = claim.unansweredSince
        ? await settle(knex, request.id, 'submitted', { last_error: outcome.reason, note: LOST_CALL_NOTE })
        : await settle(knex, request.id, 'already_pending', { last_error: outcome.reason });
      log(status);
      return { status };
    }
    case 'rejected':
      log(await settle(knex, request.id, 'failed', { last_error: outcome.reason }));
      throw new UnrecoverableError(outcome.reason);
    case 'retryable':
    case 'no_answer': {
      await knex('dentist_change_requests')
        .where({ id: request.id, status: 'pending' })
        .update({
          last_error: outcome.reason,
          // Jarvis answered, so this call did nothing: only an earlier lost call is still unknown.
          ...(outcome.kind === 'retryable' ? { submit_attempted_at: claim.unansweredSince } : {}),
          updated_at: knex.fn.now(),
        });
      if (isLastAttempt(job)) log(await settle(knex, request.id, 'failed', { last_error: outcome.reason }));
      throw new Error(outcome.reason);
    }
  }
};

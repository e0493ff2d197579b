import { submitDentistChangeJob } from './jobs.js';
import type { Knex } from 'knex';
import { ONE_OPEN_REQUEST_INDEX } from './change-request-model.js';
import { commitThenDispatch } from '../shared/db/transaction.js';
import { AppError, conflict, notFound } from '../shared/errors.js';
import type { Dispatcher } from '../shared/jobs/dispatcher.js';
import { cursorTimestamp, decodeCursor, toPage } from '../api/pagination.js';
import { presentChangeRequest, withDentist, type ChangeRequestRow } from './present.js';
import type { ChangeRequestBody, ChangeRequestsQuery } from './schema.js';

const dentistError = (code: string, detail: string, message: string) =>
  new AppError(422, code, detail, { errors: [{ path: 'body.dentist_id', message }] });

/**
 * `POST /dentist-change-requests` (docs/dentists.md#change-requests): the row first, the submit job after the
 * commit. One open request per user is the partial unique index's to enforce, so two
 * concurrent requests cannot both pass a check: the loser's insert fails and is a 409.
 */
export async function createChangeRequest(
  knex: Knex,
  dispatcher: Dispatcher,
  userId: string,
  body: ChangeRequestBody,
): Promise<{ id: string; status: 'pending' }> {
  try {
    return await commitThenDispatch(knex, dispatcher, async (trx, jobs) => {
      // Shared lock: a deactivation waits for this request rather than slipping past it.
      const dentist = (await trx('dentists').where({ id: body.dentist_id }).forShare().first('active')) as
        { active: boolean } | undefined;
      if (!dentist?.active)
        throw dentistError(
          'dentist_not_available',
          'This dentist is unknown or inactive',
          'is not an active dentist',
        );
      const user = (await trx('users').where({ id: userId }).whereNull('deleted_at').first('dentist_id')) as
        { dentist_id: number | null } | undefined;
      // Erased since the profile was read: as gone as it will be on the next request.
      if (!user) throw notFound('No profile yet: create it with PUT first');
      if (user.dentist_id === body.dentist_id)
        throw dentistError(
          'dentist_already_assigned',
          'This dentist is already yours',
          'is already your dentist',
        );
      const [row] = (await trx('dentist_change_requests')
        .insert({ user_id: userId, dentist_id: body.dentist_id })
        .returning('id')) as Array<{ id: string }>;
      jobs.push({ job: submitDentistChangeJob, rowId: row!.id });
      return { id: row!.id, status: 'pending' as const };
    });
  } catch (error) {
    if ((error as { constraint?: string }).constraint === ONE_OPEN_REQUEST_INDEX)
      throw conflict('A dentist change request is already open', 'change_request_open');
    throw error;
  }
}

/** What `cursorTimestamp` and the id make: checked before it reaches SQL. */
/** The user's requests, newest first. */
export async function listChangeRequests(knex: Knex, userId: string, query: ChangeRequestsQuery) {
  const after = decodeCursor(query.cursor, ['timestamp', 'uuid']);
  const rows = (await withDentist(knex)
    .select(knex.raw(cursorTimestamp('r.created_at')))
    .where('r.user_id', userId)
    .modify((q) => {
      if (query.status) void q.where('r.status', query.status);
      if (after) void q.whereRaw('(r.created_at, r.id) < (?::timestamptz, ?::uuid)', after);
    })
    .orderBy([
      { column: 'r.created_at', order: 'desc' },
      { column: 'r.id', order: 'desc' },
    ])
    .limit(query.limit + 1)) as Array<ChangeRequestRow & { cursor_at: string }>;
  return toPage(rows, query.limit, (row) => [row.cursor_at, row.id], presentChangeRequest);
}

/** One request, looked up within the user only: another user's id is the same 404 as an unknown one. */
export async function findChangeRequest(knex: Knex, userId: string, id: string) {
  const row = (await withDentist(knex).where({ 'r.id': id, 'r.user_id': userId }).first()) as
    ChangeRequestRow | undefined;
  if (!row) throw notFound('No such dentist change request');
  return presentChangeRequest(row);
}

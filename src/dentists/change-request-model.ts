import type { Knex } from 'knex';

export const CHANGE_REQUEST_STATUSES = [
  'pending',
  'submitted',
  'already_pending',
  'failed',
  'completed',
] as const;
export type ChangeRequestStatus = (typeof CHANGE_REQUEST_STATUSES)[number];

/** At most one per user (a partial unique index): Jarvis takes one change at a time. */
export const OPEN_STATUSES: readonly ChangeRequestStatus[] = ['pending', 'submitted'];

/** The unique index that keeps one open request per user; its violation is a 409. */
export const ONE_OPEN_REQUEST_INDEX = 'dentist_change_requests_one_open';

/** A user's request to change dentist, submitted to Jarvis by the worker (docs/dentists.md). */
export interface DentistChangeRequest {
  id: string;
  user_id: string;
  dentist_id: number;
  status: ChangeRequestStatus;
  jarvis_ticket_id: string | null;
  attempts: number;
  last_error: string | null;
  note: string | null;
  /** Set before each call; still set afterwards while a call's outcome is unknown. */
  submit_attempted_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/**
 * The user's dentist has become `dentistId` (internal API, HubSpot): their open request
 * for that dentist has been done (docs/dentists.md#completion). Call in the transaction that assigns.
 * Returns the id of the request completed, if any.
 */
export async function completeMatchingRequest(
  trx: Knex.Transaction,
  userId: string,
  dentistId: number,
): Promise<string | undefined> {
  const [row] = (await trx('dentist_change_requests')
    .where({ user_id: userId, dentist_id: dentistId })
    .whereIn('status', OPEN_STATUSES)
    .update({ status: 'completed', updated_at: trx.fn.now() })
    .returning('id')) as Array<{ id: string }>;
  return row?.id;
}

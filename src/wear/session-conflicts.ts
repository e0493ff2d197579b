import type { Knex } from 'knex';
import { WEAR_SESSION_CONSTRAINTS } from './model.js';
import { AppError, conflict, validationFailed, type FieldError } from '../shared/errors.js';

interface PgError {
  code?: string;
  constraint?: string;
}

const violated = (error: unknown, code: string, constraint: string): boolean =>
  (error as PgError | null)?.code === code && (error as PgError).constraint === constraint;

export const sessionAlreadyOpen = () =>
  conflict('A wear session is already open: end it before starting another', 'session_already_open');

export const overlappingSession = (fields: readonly string[]) =>
  new AppError(422, 'overlapping_session', 'This session would overlap another of your wear sessions', {
    errors: fields.map((field) => ({ path: `body.${field}`, message: 'overlaps another wear session' })),
  });

/**
 * Why a new session was refused. A session logged already over can only overlap one
 * recorded (422). For an open one, both the partial unique index and the exclusion
 * constraint can fire when a session is already open (which one depends on the index
 * order), so the answer is decided from the state after the failure, not from the
 * constraint name: while any session is open, a start is 409 `session_already_open`
 * (end that one first); otherwise it overlaps a recorded session (it starts inside one,
 * or before one and so would run into it) → 422.
 */
export async function explainStartFailure(
  knex: Knex,
  userId: string,
  error: unknown,
  sent: { ended_at?: string },
): Promise<unknown> {
  const oneOpen = violated(error, '23505', WEAR_SESSION_CONSTRAINTS.oneOpenPerUser);
  const overlap = violated(error, '23P01', WEAR_SESSION_CONSTRAINTS.noOverlap);
  if (sent.ended_at !== undefined && overlap) return overlappingSession(['started_at', 'ended_at']);
  if (!oneOpen && !overlap) return error;
  const open = await knex('wear_sessions').where({ user_id: userId }).whereNull('ended_at').first('id');
  if (oneOpen || open) return sessionAlreadyOpen();
  return overlappingSession(['started_at']);
}

/** Why an edit was refused; the paths name the times the client sent. */
export function explainEditFailure(
  error: unknown,
  sent: { started_at?: string; ended_at?: string },
): unknown {
  const times = (['started_at', 'ended_at'] as const).filter((field) => sent[field] !== undefined);
  if (violated(error, '23P01', WEAR_SESSION_CONSTRAINTS.noOverlap)) return overlappingSession(times);
  if (violated(error, '23514', WEAR_SESSION_CONSTRAINTS.endsAfterStart)) {
    const errors: FieldError[] = [
      sent.ended_at !== undefined
        ? { path: 'body.ended_at', message: 'must be after started_at' }
        : { path: 'body.started_at', message: 'must be before ended_at' },
    ];
    return validationFailed(errors, 'A session must end after it starts');
  }
  return error;
}

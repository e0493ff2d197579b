import { z } from 'zod';
import { WEAR_REASONS } from './model.js';
import { isLocalDate } from '../shared/time/local-time.js';
import { validateStatsRange } from './stats-computation.js';
import { paginationQuery } from '../api/pagination.js';
import { cognitoSubParams } from '../users/schema.js';

/** Phones' clocks drift: a time up to this far ahead of ours is still "now", not the future. */
export const CLOCK_SKEW_MS = 60_000;

/** Clear aligners date from 1998: anything earlier is a client bug, not a session to keep for ever. */
export const EARLIEST_SESSION_TIME = '2000-01-01T00:00:00Z';
const EARLIEST_MS = Date.parse(EARLIEST_SESSION_TIME);

const dateTime = () =>
  z.iso.datetime({
    offset: true,
    error: 'must be an ISO 8601 date-time with a zone, such as 2026-11-28T09:00:00Z',
  });

// `!(a > b)`: a value that is not a date-time at all (NaN) already has its own error.
const sessionTime = dateTime()
  .refine((value) => !(Date.parse(value) > Date.now() + CLOCK_SKEW_MS), {
    error: 'must not be in the future',
  })
  .refine((value) => !(Date.parse(value) < EARLIEST_MS), {
    error: `must not be before ${EARLIEST_SESSION_TIME}`,
  });

const reason = z.enum(WEAR_REASONS).nullable();

export const wearOwnerParams = cognitoSubParams;

export const wearSessionParams = cognitoSubParams.extend({
  id: z.uuid({ error: 'must be a wear session id (UUID)' }),
});

// Strict: a field the schema does not know (`user_id`, `end_at`…) is an error, never ignored.
export const startSessionBody = z
  .strictObject({
    /** Chosen by the app so that a retry is recognised (docs/resources.md#wear-sessions). */
    id: z.uuid({ error: 'must be a UUID' }).optional(),
    started_at: sessionTime.optional(),
    /** A session logged after the fact, already over (docs/resources.md#wear-sessions). */
    ended_at: sessionTime.optional(),
    reason: reason.optional(),
  })
  .refine((body) => body.ended_at === undefined || body.started_at !== undefined, {
    error: 'a session logged with ended_at needs its started_at',
    path: ['started_at'],
    when: (payload) => payload.issues.length === 0,
  })
  .refine(
    (body) =>
      body.ended_at === undefined ||
      body.started_at === undefined ||
      Date.parse(body.ended_at) > Date.parse(body.started_at),
    { error: 'must be after started_at', path: ['ended_at'], when: (payload) => payload.issues.length === 0 },
  );
export type StartSessionBody = z.output<typeof startSessionBody>;

// `ended_at` cannot go back to null: a session is not reopened (start a new one instead).
export const editSessionBody = z
  .strictObject({
    started_at: sessionTime.optional(),
    ended_at: sessionTime.optional(),
    reason: reason.optional(),
  })
  .refine(
    (body) => body.started_at !== undefined || body.ended_at !== undefined || body.reason !== undefined,
    {
      error: 'must change at least one of started_at, ended_at, reason',
      // only when the body is otherwise valid: an unknown field already says what is wrong
      when: (payload) => payload.issues.length === 0,
    },
  );
export type EditSessionBody = z.output<typeof editSessionBody>;

export const listSessionsQuery = z
  .object({
    ...paginationQuery,
    from: dateTime().optional(),
    to: dateTime().optional(),
  })
  .refine((query) => !query.from || !query.to || Date.parse(query.to) > Date.parse(query.from), {
    error: 'must be after from',
    path: ['to'],
    when: (payload) => payload.issues.length === 0,
  });
export type ListSessionsQuery = z.output<typeof listSessionsQuery>;

const localDate = z.iso
  .date({ error: 'must be a date (YYYY-MM-DD)', abort: true })
  .refine(isLocalDate, { error: 'must be a date (YYYY-MM-DD)' });

export const wearStatsQuery = z
  .object({ from: localDate, to: localDate })
  // Each date is checked on its own first; the pair (order, at most 366 days) is then the `to`'s fault.
  .superRefine(
    (query, ctx) => {
      const problem = validateStatsRange(query.from, query.to);
      if (problem) ctx.addIssue({ code: 'custom', path: ['to'], message: problem });
    },
    { when: (payload) => payload.issues.length === 0 },
  );
export type WearStatsQuery = z.output<typeof wearStatsQuery>;

export const wearSessionResponse = z.object({
  id: z.uuid(),
  started_at: z.string(),
  /** null while the aligners are still out */
  ended_at: z.string().nullable(),
  reason: z.enum(WEAR_REASONS).nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const wearStatsResponse = z.object({
  days: z.array(
    z.object({
      date: z.iso.date(),
      /** The part of the day that was tracked (from the start of tracking, up to now today). */
      tracked_minutes: z.number().int(),
      out_minutes: z.number().int(),
      wear_minutes: z.number().int(),
      goal_minutes: z.number().int(),
      goal_met: z.boolean(),
      /** False on a day of a longer app silence than allowed: its wear is not known. */
      confirmed: z.boolean(),
    }),
  ),
  summary: z.object({
    average_wear_minutes: z.number().int().nullable(),
    current_streak_days: z.number().int(),
    tracked_days: z.number().int(),
    unconfirmed_days: z.number().int(),
  }),
});

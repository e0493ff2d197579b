import type { Knex } from 'knex';
import { Treatment, TREATMENT_COLUMNS } from './model.js';
import { preparedTemplate } from '../shared/db/prepared.js';
import { addDays, maxDate, todayIn } from '../shared/time/local-time.js';
import { commitThenDispatch } from '../shared/db/transaction.js';
import { AppError, notFound } from '../shared/errors.js';
import type { Dispatcher } from '../shared/jobs/dispatcher.js';
import { replanProgressReminder } from '../reminders/replan.js';
import { NO_PROFILE_YET } from '../users/profile.js';
import { lockTreatment, lockUser, NO_PLAN_YET } from './locks.js';
import { presentTreatment } from './present.js';
import type { PutTreatmentBody, TreatmentReadResponse, TreatmentResponse } from './schema.js';
import { alignerReadiness } from '../wear/aligner-readiness.js';
import { MAX_STATS_RANGE_DAYS } from '../wear/stats-computation.js';
import { selectTrackingBasis, type TrackingColumns } from '../wear/tracking-basis.js';
import { rangeStats } from '../wear/wear-stats.js';

const readTreatmentBasis = preparedTemplate<{
  cognitoSub: string;
  maxDays: number;
  silentDaysAllowed: number;
  contactMargin: number;
}>('read_treatment', (knex, parameter) =>
  selectTrackingBasis(
    knex,
    knex('users')
      .leftJoin('treatments', 'treatments.user_id', 'users.id')
      .where('users.cognito_sub', parameter('cognitoSub'))
      .whereNull('users.deleted_at')
      .select(
        'users.timezone as user_timezone',
        'users.created_at as registered_at',
        ...TREATMENT_COLUMNS.map((column) => `treatments.${column}`),
      ),
    'users.id',
    // The current aligner's days, a year back at most (today's UTC date is within a day of the local one).
    {
      first: knex.raw(`greatest(treatments.current_aligner_started_on, current_date - ?::int)`, [
        parameter('maxDays'),
      ]),
      last: knex.raw('current_date + 1'),
      contactMargin: parameter('contactMargin'),
    },
    parameter('silentDaysAllowed'),
  ),
);

/**
 * `GET /treatment`: derived on the user's local today, so the numbers roll over at
 * their midnight, with how the current aligner has been worn (docs/resources.md#aligner-readiness).
 * The app's most frequent read, so the user, the plan and what the wear figures of the
 * current aligner's days need (src/wear/tracking-basis.ts: the rollup's rows, the later
 * days' sessions, the contact days around them) come in one prepared statement: each round trip to Postgres costs more CPU than
 * the rest of the request (bench: get-treatment).
 */
export async function readTreatment(
  knex: Knex,
  cognitoSub: string,
  options: { silentDaysAllowed: number },
  now = new Date(),
): Promise<TreatmentReadResponse> {
  const { rows } = (await readTreatmentBasis(knex, {
    cognitoSub,
    maxDays: MAX_STATS_RANGE_DAYS,
    silentDaysAllowed: options.silentDaysAllowed,
    contactMargin: options.silentDaysAllowed + 1,
  })) as {
    rows: Array<
      Treatment & TrackingColumns & { user_timezone: string; registered_at: Date; user_id: string | null }
    >;
  };
  const [row] = rows;
  if (!row) throw notFound(NO_PROFILE_YET);
  if (row.user_id === null) throw notFound(NO_PLAN_YET);
  const today = todayIn(row.user_timezone, now);
  const from = maxDate(row.current_aligner_started_on, addDays(today, -(MAX_STATS_RANGE_DAYS - 1)));
  const { stats, goalMinutes } = rangeStats(
    { ...row, timezone: row.user_timezone },
    { from, to: today, silentDaysAllowed: options.silentDaysAllowed },
    now,
  );
  return {
    ...presentTreatment(row, today),
    current_aligner_wear: alignerReadiness(stats.days, goalMinutes, today),
  };
}

/** readTreatment, or null when the user has no plan (an unknown or erased user is still a 404). */
export async function readTreatmentOrNull(
  knex: Knex,
  cognitoSub: string,
  options: { silentDaysAllowed: number },
  now = new Date(),
): Promise<TreatmentReadResponse | null> {
  try {
    return await readTreatment(knex, cognitoSub, options, now);
  } catch (error) {
    if (error instanceof AppError && error.message === NO_PLAN_YET) return null;
    throw error;
  }
}

/**
 * `PUT /treatment` (docs/resources.md#treatment): sets the whole plan. Extensions belong to one wear of one
 * aligner: they are kept while the PUT leaves the current aligner and its start date
 * as they were (changing the goal, pausing or resuming must not undo an extension), and
 * reset to 0 otherwise, when the PUT describes a new wear. The progress reminder is
 * re-planned in the same transaction.
 */
export async function putTreatment(
  knex: Knex,
  dispatcher: Dispatcher,
  userId: string,
  body: PutTreatmentBody,
  now = new Date(),
): Promise<{ treatment: TreatmentResponse; created: boolean }> {
  return commitThenDispatch(knex, dispatcher, async (trx, jobs) => {
    const { timezone } = await lockUser(trx, userId);
    const existing = await lockTreatment(trx, userId);
    const sameWear =
      existing !== undefined &&
      existing.current_aligner === body.current_aligner &&
      existing.current_aligner_started_on === body.current_aligner_started_on;
    const fields = {
      status: body.status,
      total_aligners: body.total_aligners,
      current_aligner: body.current_aligner,
      change_interval_days: body.change_interval_days,
      started_on: body.started_on,
      current_aligner_started_on: body.current_aligner_started_on,
      daily_wear_goal_minutes: body.daily_wear_goal_minutes,
      extension_days: sameWear ? existing.extension_days : 0,
    };
    const [row] = (await (
      existing
        ? trx('treatments')
            .where({ user_id: userId })
            .update({ ...fields, updated_at: trx.fn.now() })
        : trx('treatments').insert({ user_id: userId, ...fields })
    ).returning('*')) as Treatment[];
    await replanProgressReminder(trx, userId, jobs, now);
    return { treatment: presentTreatment(row!, todayIn(timezone, now)), created: existing === undefined };
  });
}

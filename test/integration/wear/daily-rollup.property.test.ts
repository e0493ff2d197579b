import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Knex } from 'knex';
import { addDays, todayIn } from '../../../src/shared/time/local-time.js';
import { rollUpUser, settledThrough } from '../../../src/wear/daily-rollup.js';
import { computeWearDays, dayLengthMinutes, trackingStart } from '../../../src/wear/stats-computation.js';
import { loadWearStats } from '../../../src/wear/wear-stats.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { createTreatment, createUser } from '../../support/factories.js';

// The daily rollup is a copy of what the sessions say (docs/decisions/012-wear-daily-rollups.md):
// over random histories in zones with DST changes, its rows equal the days computed from
// the sessions, and GET /wear-stats reads the same figures with or without it, also after
// sessions, the treatment's start and the zone change under a rolled history.

const MINUTE = 60_000;

const ZONES = [
  'Europe/London',
  'America/New_York',
  'Australia/Lord_Howe', // a 30-minute DST shift
  'America/Santiago', // DST starts at midnight
  'Pacific/Chatham', // +12:45 / +13:45
  'Asia/Kolkata',
];

// UTC midnights a few days before DST changes of 2026 in those zones.
const BASES = ['2026-03-01', '2026-03-20', '2026-03-31', '2026-09-01', '2026-09-20', '2026-10-20'];

type Edit =
  | { kind: 'insert'; startMinute: number; lengthMinutes: number }
  | { kind: 'delete'; index: number }
  | { kind: 'end'; index: number; lengthMinutes: number }
  | { kind: 'treatment'; startDay: number }
  | { kind: 'untreat' }
  | { kind: 'zone'; zone: string };

const sessionArbitrary = fc.record({
  startMinute: fc.integer({ min: -3 * 1440, max: 40 * 1440 }),
  lengthMinutes: fc.integer({ min: 1, max: 2000 }),
});

const historyArbitrary = fc.record({
  zone: fc.constantFrom(...ZONES),
  base: fc.constantFrom(...BASES),
  registeredMinute: fc.integer({ min: 0, max: 20 * 1440 }),
  treatmentStartDay: fc.option(fc.integer({ min: -10, max: 15 }), { nil: null }),
  sessions: fc.array(sessionArbitrary, { maxLength: 14 }),
  lastOpen: fc.boolean(),
  contactDays: fc.uniqueArray(fc.integer({ min: -2, max: 48 }), { maxLength: 40 }),
  silentDaysAllowed: fc.integer({ min: 0, max: 3 }),
  nowMinute: fc.integer({ min: 30 * 1440, max: 34 * 1440 }),
  laterMinutes: fc.integer({ min: 0, max: 5 * 1440 }),
  edits: fc.array(
    fc.oneof(
      sessionArbitrary.map((session): Edit => ({ kind: 'insert', ...session })),
      fc.nat(20).map((index): Edit => ({ kind: 'delete', index })),
      fc
        .record({ index: fc.nat(20), lengthMinutes: fc.integer({ min: 1, max: 600 }) })
        .map((edit): Edit => ({ kind: 'end', ...edit })),
      fc.integer({ min: -10, max: 15 }).map((startDay): Edit => ({ kind: 'treatment', startDay })),
      fc.constantFrom(...ZONES).map((zone): Edit => ({ kind: 'zone', zone })),
      fc.constant<Edit>({ kind: 'untreat' }),
    ),
    { maxLength: 4 },
  ),
});

type History = typeof historyArbitrary extends fc.Arbitrary<infer T> ? T : never;

const REGRESSION: History = {
  zone: 'Europe/London',
  base: '2026-03-01',
  registeredMinute: 0,
  treatmentStartDay: null,
  sessions: [{ startMinute: 1440, lengthMinutes: 1 }],
  lastOpen: false,
  contactDays: [],
  silentDaysAllowed: 0,
  nowMinute: 43200,
  laterMinutes: 0,
  edits: [],
};

let app: TestApp;
let knex: Knex;
beforeAll(async () => {
  app = await startTestApp();
  knex = app.deps.knex;
});
afterAll(() => app.close());

const at = (base: string, minute: number) => new Date(Date.parse(`${base}T00:00:00Z`) + minute * MINUTE);

/** Sessions that do not overlap (the database forbids it), the last one left open when asked. */
function disjoint(history: History, now: Date) {
  const sorted = [...history.sessions].sort((a, b) => a.startMinute - b.startMinute);
  const kept: Array<{ started_at: Date; ended_at: Date | null }> = [];
  let free = -Infinity;
  for (const session of sorted) {
    const started = at(history.base, session.startMinute);
    const ended = new Date(started.getTime() + session.lengthMinutes * MINUTE);
    if (started.getTime() < free || ended > now) continue;
    kept.push({ started_at: started, ended_at: ended });
    free = ended.getTime();
  }
  const last = kept[kept.length - 1];
  if (last && history.lastOpen) last.ended_at = null;
  return kept;
}

async function plant(history: History, now: Date) {
  const user = await createUser(knex, {
    timezone: history.zone,
    created_at: at(history.base, history.registeredMinute),
  });
  if (history.treatmentStartDay !== null) {
    await createTreatment(knex, {
      user_id: user.id,
      started_on: addDays(history.base, history.treatmentStartDay),
    });
  }
  const sessions = disjoint(history, now);
  if (sessions.length > 0)
    await knex('wear_sessions').insert(sessions.map((s) => ({ ...s, id: randomUUID(), user_id: user.id })));
  if (history.contactDays.length > 0) {
    await knex('app_contact_days').insert(
      history.contactDays.map((offset) => ({ user_id: user.id, day: addDays(history.base, offset) })),
    );
  }
  return user;
}

/** Applies an edit as any writer would; one the database refuses (an overlap) changes nothing. */
async function apply(edit: Edit, history: History, userId: string) {
  const sessions = (await knex('wear_sessions').where({ user_id: userId }).orderBy('started_at')) as Array<{
    id: string;
    started_at: Date;
  }>;
  const pick = (index: number) => sessions[index % Math.max(1, sessions.length)];
  await knex
    .transaction(async (trx) => {
      switch (edit.kind) {
        case 'insert': {
          const started = at(history.base, edit.startMinute);
          await trx('wear_sessions').insert({
            id: randomUUID(),
            user_id: userId,
            started_at: started,
            ended_at: new Date(started.getTime() + edit.lengthMinutes * MINUTE),
          });
          break;
        }
        case 'delete': {
          const session = pick(edit.index);
          if (session) await trx('wear_sessions').where({ id: session.id }).delete();
          break;
        }
        case 'end': {
          const session = pick(edit.index);
          if (session)
            await trx('wear_sessions')
              .where({ id: session.id })
              .update({ ended_at: new Date(session.started_at.getTime() + edit.lengthMinutes * MINUTE) });
          break;
        }
        case 'treatment': {
          // Moves the plan's start, or creates a plan where there was none.
          const startedOn = addDays(history.base, edit.startDay);
          const moved = await trx('treatments')
            .where({ user_id: userId })
            .update({ started_on: startedOn, current_aligner_started_on: startedOn });
          if (moved === 0) await createTreatment(trx, { user_id: userId, started_on: startedOn });
          break;
        }
        case 'untreat':
          await trx('treatments').where({ user_id: userId }).delete();
          break;
        case 'zone':
          await trx('users').where({ id: userId }).update({ timezone: edit.zone });
          break;
      }
    })
    .catch((error: { code?: string }) => {
      if (error.code !== '23P01' && error.code !== '23505' && error.code !== '23514') throw error;
    });
}

/** Every rolled row is the day computed from the sessions, field by field. */
async function expectRowsMatchSessions(userId: string, allowed: number, now: Date) {
  const user = await knex('users as u')
    .leftJoin('treatments as t', 't.user_id', 'u.id')
    .where('u.id', userId)
    .first('u.timezone', 'u.created_at', 't.started_on');
  const state = await knex('wear_rollup_states').where({ user_id: userId }).first();
  expect(state.rolled_through).toBe(settledThrough(todayIn(user.timezone, now), allowed));
  const rows = await knex('wear_daily_rollups').where({ user_id: userId }).orderBy('day');
  const sessions = await knex('wear_sessions').where({ user_id: userId });
  const firstSessionStartedAt =
    sessions.length === 0 ? null : new Date(Math.min(...sessions.map((s) => s.started_at.getTime())));
  const trackingStartsAt = trackingStart(
    { treatmentStartedOn: user.started_on, registeredAt: user.created_at, firstSessionStartedAt },
    user.timezone,
  );
  const contactDays = new Set(
    (await knex('app_contact_days').where({ user_id: userId }).pluck('day')) as string[],
  );
  const days = computeWearDays({
    sessions,
    zone: user.timezone,
    from: '2026-01-01',
    to: state.rolled_through,
    now,
    goalMinutes: 0,
    trackingStartsAt,
    contactDays,
    silentDaysAllowed: allowed,
  });
  expect(rows).toEqual(
    days.map((day) => ({
      user_id: userId,
      day: day.date,
      day_minutes: dayLengthMinutes(day.date, user.timezone),
      tracked_minutes: day.tracked_minutes,
      out_minutes: day.out_minutes,
      wear_minutes: day.wear_minutes,
      confirmed: day.confirmed,
    })),
  );
}

/** GET /wear-stats over the whole history reads what it would read without any rollup. */
async function expectStatsMatchSessions(sub: string, history: History, now: Date) {
  const zone = (await knex('users').where({ cognito_sub: sub }).first('timezone')).timezone as string;
  const range = {
    from: addDays(history.base, -12),
    to: todayIn(zone, now),
    silentDaysAllowed: history.silentDaysAllowed,
  };
  const viaRollup = await loadWearStats(knex, sub, range, now);
  let fromSessions: unknown;
  await knex
    .transaction(async (trx) => {
      await trx('wear_rollup_states').delete();
      fromSessions = await loadWearStats(trx, sub, range, now);
      throw new Error('rolled back');
    })
    .catch(() => undefined);
  expect(viaRollup).toEqual(fromSessions);
}

describe('daily wear rollup', () => {
  it('equals the days computed from the sessions, before and after the history changes', async () => {
    await fc.assert(
      fc.asyncProperty(historyArbitrary, async (history) => {
        const now = at(history.base, history.nowMinute);
        const later = new Date(now.getTime() + history.laterMinutes * MINUTE);
        const user = await plant(history, now);
        const allowed = history.silentDaysAllowed;

        await rollUpUser(knex, user.id, allowed, { now });
        await expectRowsMatchSessions(user.id, allowed, now);
        await expectStatsMatchSessions(user.cognito_sub, history, now);

        for (const edit of history.edits) await apply(edit, history, user.id);
        // The edits moved the rolled days back (by trigger): reads still tell the truth.
        await expectStatsMatchSessions(user.cognito_sub, history, now);

        await rollUpUser(knex, user.id, allowed, { now: later });
        await expectRowsMatchSessions(user.id, allowed, later);
        await expectStatsMatchSessions(user.cognito_sub, history, later);
      }),
      {
        numRuns: 100,
        // Found by this test: without a treatment, deleting the only session ends all
        // tracking, and a first session starts it from registration, before its own day.
        examples: [
          [{ ...REGRESSION, edits: [{ kind: 'delete', index: 0 }] }],
          [
            {
              ...REGRESSION,
              sessions: [],
              edits: [{ kind: 'insert', startMinute: 10 * 1440, lengthMinutes: 30 }],
            },
          ],
          [{ ...REGRESSION, treatmentStartDay: 5, edits: [{ kind: 'untreat' }] }],
        ],
      },
    );
  });

  it('rebuilds rows confirmed under another allowance of silent days', async () => {
    const user = await createUser(knex, {
      timezone: 'Europe/London',
      created_at: new Date('2026-03-01T09:00:00Z'),
    });
    await createTreatment(knex, { user_id: user.id, started_on: '2026-03-01' });
    // In contact every fourth day: silences of 3 days, too long for 2 allowed, not for 3.
    await knex('app_contact_days').insert(
      [0, 4, 8, 12, 16, 20, 24, 28].map((offset) => ({
        user_id: user.id,
        day: addDays('2026-03-01', offset),
      })),
    );
    const now = new Date('2026-03-30T12:00:00Z');
    const confirmedDays = async () =>
      (await knex('wear_daily_rollups').where({ user_id: user.id }).orderBy('day')).map(
        (row) => row.confirmed,
      );

    await rollUpUser(knex, user.id, 2, { now });
    expect(await confirmedDays()).toContain(false);
    await rollUpUser(knex, user.id, 3, { now });
    expect(await confirmedDays()).not.toContain(false);
    expect(await knex('wear_rollup_states').where({ user_id: user.id }).first()).toMatchObject({
      silent_days_allowed: 3,
      rolled_through: settledThrough('2026-03-30', 3),
    });
  });
});

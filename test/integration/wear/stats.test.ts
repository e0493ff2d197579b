import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import type { WearStats } from '../../../src/wear/stats-computation.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { createWearSession } from '../../support/factories.js';
import { call, createTreatment, faithfulPatient, type Patient } from '../../support/wear-fixtures.js';

const ZONE = 'Europe/London';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

async function session(patient: Patient, startedAt: string | Date, endedAt: string | Date | null) {
  await createWearSession(app.deps.knex, {
    user_id: patient.user.id,
    started_at: new Date(startedAt),
    ended_at: endedAt === null ? null : new Date(endedAt),
  });
}

async function stats(patient: Patient, from: string, to: string) {
  const answer = await call(app, patient, 'GET', `/wear-stats?from=${from}&to=${to}`);
  expect(answer.status).toBe(200);
  return answer.body as WearStats;
}

const day = (date: string, out: number, wear: number, goal: number) => ({
  date,
  tracked_minutes: out + wear,
  out_minutes: out,
  wear_minutes: wear,
  goal_minutes: goal,
  goal_met: wear >= goal,
  confirmed: true,
});

const today = () => DateTime.now().setZone(ZONE).startOf('day');
const isoDate = (value: DateTime) => value.toISODate()!;

describe('GET /wear-stats (docs/resources.md#wear-stats)', () => {
  it('cuts days at London midnight across the spring DST change (a 1380-minute day), splitting sessions', async () => {
    const patient = await faithfulPatient(app, ZONE);
    await createTreatment(app, patient.user.id, { started_on: '2026-03-27', daily_wear_goal_minutes: 1320 });
    // 23:30 GMT on the 28th to 00:30 GMT on the 29th: half on each day.
    await session(patient, '2026-03-28T23:30:00Z', '2026-03-29T00:30:00Z');
    await session(patient, '2026-03-29T12:00:00Z', '2026-03-29T13:00:00Z');
    // 23:00 to 01:00 BST: the 30th begins at 23:00 UTC.
    await session(patient, '2026-03-29T22:00:00Z', '2026-03-30T00:00:00Z');

    const body = await stats(patient, '2026-03-26', '2026-03-30');
    // The 26th is before the treatment began: not counted.
    expect(body.days).toEqual([
      day('2026-03-27', 0, 1440, 1320),
      day('2026-03-28', 30, 1410, 1320),
      day('2026-03-29', 150, 1230, 1320),
      day('2026-03-30', 60, 1380, 1320),
    ]);
    for (const entry of body.days) {
      const length = entry.date === '2026-03-29' ? 1380 : 1440;
      expect(entry.out_minutes + entry.wear_minutes).toBe(length);
    }
    // Per 24 h of tracked time: the 29th tracked 23 h.
    expect(body.summary.average_wear_minutes).toBe(
      Math.round(((1440 + 1410 + 1230 + 1380) * 1440) / (1440 + 1440 + 1380 + 1440)),
    );
  });

  it('has a 1500-minute day at the autumn change, and a session over the doubled hour counts its real length', async () => {
    const patient = await faithfulPatient(app, ZONE);
    await createTreatment(app, patient.user.id, { started_on: '2026-10-01' });
    // 01:30 BST to 01:30 GMT: the same wall-clock time, an hour apart.
    await session(patient, '2026-10-25T00:30:00Z', '2026-10-25T01:30:00Z');
    // 23:00 GMT on the 25th to 02:00 GMT on the 26th.
    await session(patient, '2026-10-25T23:00:00Z', '2026-10-26T02:00:00Z');
    const body = await stats(patient, '2026-10-24', '2026-10-26');
    expect(body.days).toEqual([
      day('2026-10-24', 0, 1440, 1320),
      day('2026-10-25', 120, 1380, 1320),
      day('2026-10-26', 120, 1320, 1320),
    ]);
  });

  it('splits a session over several midnights; without a treatment, tracking begins at registration', async () => {
    // Registered at midnight BST on 1 June.
    const patient = await faithfulPatient(app, ZONE, new Date('2026-05-31T23:00:00Z'));
    // 21:00 BST on 1 June to 03:00 BST on 4 June.
    await session(patient, '2026-06-01T20:00:00Z', '2026-06-04T02:00:00Z');
    const body = await stats(patient, '2026-05-30', '2026-06-05');
    expect(body.days).toEqual([
      day('2026-06-01', 180, 1260, 1320),
      day('2026-06-02', 1440, 0, 1320),
      day('2026-06-03', 1440, 0, 1320),
      day('2026-06-04', 180, 1260, 1320),
      day('2026-06-05', 0, 1440, 1320),
    ]);
    expect(body.summary.average_wear_minutes).toBe(792);
  });

  it("takes the goal from the treatment, capped at a short day's length", async () => {
    const patient = await faithfulPatient(app, ZONE);
    await createTreatment(app, patient.user.id, { started_on: '2026-03-28', daily_wear_goal_minutes: 1440 });
    const body = await stats(patient, '2026-03-28', '2026-03-29');
    expect(body.days).toEqual([day('2026-03-28', 0, 1440, 1440), day('2026-03-29', 0, 1380, 1380)]);
    expect(body.days.every((entry) => entry.goal_met)).toBe(true);
  });

  it('has no days for a user with neither a treatment nor a session', async () => {
    const patient = await faithfulPatient(app, ZONE);
    expect(await stats(patient, '2026-01-01', '2026-12-31')).toEqual({
      days: [],
      summary: { average_wear_minutes: null, current_streak_days: 0, tracked_days: 0, unconfirmed_days: 0 },
    });
  });

  it('counts a session open now up to now, on both days when it began yesterday', async () => {
    const patient = await faithfulPatient(app, ZONE);
    const midnight = today();
    const started = midnight.minus({ minutes: 60 });
    const open = await call(app, patient, 'POST', '/wear-sessions', { started_at: started.toUTC().toISO() });
    expect(open.status).toBe(201);

    const before = Math.floor(Date.now() / 60_000);
    const body = await stats(patient, isoDate(midnight.minus({ days: 1 })), isoDate(midnight));
    const after = Math.floor(Date.now() / 60_000);
    const [yesterday, current] = body.days;
    expect(yesterday).toMatchObject({ date: isoDate(midnight.minus({ days: 1 })), out_minutes: 60 });
    const elapsedBefore = before - midnight.toMillis() / 60_000;
    const elapsedAfter = after - midnight.toMillis() / 60_000;
    expect(current!.date).toBe(isoDate(midnight));
    // Out all day so far: nothing worn, and out + wear is the part of today that has passed.
    expect(current!.wear_minutes).toBe(0);
    expect(current!.out_minutes).toBeGreaterThanOrEqual(elapsedBefore);
    expect(current!.out_minutes).toBeLessThanOrEqual(elapsedAfter);
    expect(current!.goal_met).toBe(false);
    // Today is not a complete day: the average is yesterday's alone.
    expect(body.summary.average_wear_minutes).toBe(yesterday!.wear_minutes);
  });

  it('accepts 366 days (a leap year) and no more', async () => {
    const patient = await faithfulPatient(app, ZONE);
    await createTreatment(app, patient.user.id, { started_on: '2024-01-01' });
    expect((await stats(patient, '2024-01-01', '2024-12-31')).days).toHaveLength(366);
    expect((await stats(patient, '2025-01-01', '2026-01-01')).days).toHaveLength(366);
    const tooLong = await call(app, patient, 'GET', '/wear-stats?from=2025-01-01&to=2026-01-02');
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.errors).toEqual([{ path: 'query.to', message: expect.stringContaining('366') }]);
  });

  it('leaves out days after today', async () => {
    const patient = await faithfulPatient(app, ZONE);
    await createTreatment(app, patient.user.id, { started_on: isoDate(today().minus({ days: 2 })) });
    const body = await stats(
      patient,
      isoDate(today().minus({ days: 2 })),
      isoDate(today().plus({ days: 30 })),
    );
    expect(body.days.map((entry) => entry.date)).toEqual(
      [2, 1, 0].map((days) => isoDate(today().minus({ days }))),
    );
  });
});

describe('current_streak_days', () => {
  /** A treatment `days` ago, a 12-hour session `breakDaysAgo` days ago, and an open session since midnight. */
  async function streakPatient(days: number, breakDaysAgo?: number): Promise<Patient> {
    const patient = await faithfulPatient(app, ZONE);
    await createTreatment(app, patient.user.id, { started_on: isoDate(today().minus({ days })) });
    if (breakDaysAgo !== undefined) {
      const broken = today().minus({ days: breakDaysAgo }).plus({ hours: 6 });
      await session(patient, broken.toJSDate(), broken.plus({ hours: 12 }).toJSDate());
    }
    // Out since midnight: today cannot meet its goal, so the streak ends yesterday whatever the hour.
    await session(patient, today().toJSDate(), null);
    return patient;
  }

  it('counts back past `from`, and is the current streak whatever range is asked for', async () => {
    const patient = await streakPatient(10, 5);
    const d = (days: number) => isoDate(today().minus({ days }));
    for (const [from, to] of [
      [d(2), d(0)],
      [d(0), d(0)],
      [d(10), d(0)],
      [d(30), d(20)],
      [d(8), d(6)],
    ]) {
      const body = await stats(patient, from!, to!);
      expect([from, to, body.summary.current_streak_days]).toEqual([from, to, 4]);
    }
  });

  it('follows a long streak over several reads (400 days)', async () => {
    const patient = await streakPatient(400);
    const body = await stats(patient, isoDate(today().minus({ days: 6 })), isoDate(today()));
    expect(body.summary.current_streak_days).toBe(400);
  });

  it('stops at the look-back bound (3 × 366 days)', async () => {
    const patient = await streakPatient(2000);
    const body = await stats(patient, isoDate(today().minus({ days: 6 })), isoDate(today()));
    expect(body.summary.current_streak_days).toBe(3 * 366);
  });

  it('is 0 when yesterday missed the goal', async () => {
    const patient = await streakPatient(10, 1);
    expect((await stats(patient, isoDate(today()), isoDate(today()))).summary.current_streak_days).toBe(0);
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { startTestApp, tokenFor, type TestApp } from '../../support/app.js';
import { waitFor } from '../../support/jobs.js';
import type { WearStats as Stats } from '../../../src/wear/stats-computation.js';
import { call, inContact, newPatient, type Patient } from '../../support/wear-fixtures.js';

// Wear figures count tracked time only (docs/resources.md#wear-stats), tried as a new
// user meets them: through the API, with a real JWT, on the real clock.

const ZONE = 'Europe/London';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const localDate = (instant: DateTime | Date) =>
  (instant instanceof Date ? DateTime.fromJSDate(instant) : instant).setZone(ZONE).toISODate()!;
const daysAgo = (days: number) => localDate(DateTime.now().setZone(ZONE).minus({ days }));

/** Signs up through the API as the app does (PUT of the profile), then sets a plan started 23 days ago. */
async function signUp(): Promise<Patient & { registeredAt: Date }> {
  const sub = randomUUID();
  const patient = { token: await tokenFor(sub), base: `/auth/users/${sub}` };
  const created = await call(app, patient, 'PUT', '', {
    email: `${sub}@example.com`,
    first_name: 'Jamie',
    last_name: 'Doe',
    timezone: ZONE,
    locale: 'en-GB',
  });
  expect(created.status).toBe(201);
  const plan = await call(app, patient, 'PUT', '/treatment', {
    total_aligners: 20,
    current_aligner: 2,
    change_interval_days: 14,
    started_on: daysAgo(22),
    current_aligner_started_on: daysAgo(8),
  });
  expect(plan.status).toBe(201);
  const user = await app.deps.knex('users').where({ cognito_sub: sub }).first();
  return { ...patient, user, registeredAt: user.created_at as Date };
}

async function stats(patient: Patient, from: string, to: string): Promise<Stats> {
  const answer = await call(app, patient, 'GET', `/wear-stats?from=${from}&to=${to}`);
  expect(answer.status).toBe(200);
  return answer.body as Stats;
}

describe('tracking coverage', () => {
  it('shows a user who installs the app today no day before registration, and today from registration', async () => {
    const patient = await signUp();
    const body = await stats(patient, daysAgo(22), daysAgo(0));
    const now = Date.now();
    expect(body.days.map((day) => day.date)).toEqual([localDate(patient.registeredAt)]);
    const [today] = body.days;
    // Tracked from registration (a moment ago), not from midnight: no invented wear.
    const sinceRegistration = Math.floor((now - patient.registeredAt.getTime()) / 60_000);
    expect(today!.tracked_minutes).toBeGreaterThanOrEqual(0);
    expect(today!.tracked_minutes).toBeLessThanOrEqual(sinceRegistration + 1);
    expect(today!.wear_minutes + today!.out_minutes).toBe(today!.tracked_minutes);
    expect(body.summary).toEqual({
      average_wear_minutes: null,
      current_streak_days: today!.goal_met ? 1 : 0,
      tracked_days: today!.tracked_minutes > 0 ? 1 : 0,
      unconfirmed_days: 0,
    });
  });

  it('moves the start of tracking back to a session logged afterwards for yesterday evening', async () => {
    const patient = await signUp();
    const yesterday = DateTime.now().setZone(ZONE).minus({ days: 1 }).startOf('day');
    const started = await call(app, patient, 'POST', '/wear-sessions', {
      started_at: yesterday.set({ hour: 20 }).toUTC().toISO(),
      reason: 'meal',
    });
    expect(started.status).toBe(201);
    const ended = await call(app, patient, 'PATCH', `/wear-sessions/${started.body.id}`, {
      ended_at: yesterday.set({ hour: 21 }).toUTC().toISO(),
    });
    expect(ended.status).toBe(200);

    const body = await stats(patient, daysAgo(22), daysAgo(0));
    expect(body.days.map((day) => day.date)).toEqual([daysAgo(1), daysAgo(0)]);
    const minutesTo = (end: DateTime) => Math.round(end.diff(yesterday.set({ hour: 20 }), 'minutes').minutes);
    expect(body.days[0]).toEqual({
      date: daysAgo(1),
      // 20:00 to midnight (a DST night would make it 3 or 5 hours: the zone decides).
      tracked_minutes: minutesTo(yesterday.plus({ days: 1 })),
      out_minutes: 60,
      wear_minutes: minutesTo(yesterday.plus({ days: 1 })) - 60,
      goal_minutes: Math.round(
        (1320 * minutesTo(yesterday.plus({ days: 1 }))) /
          yesterday.plus({ days: 1 }).diff(yesterday, 'minutes').minutes,
      ),
      // An hour out of four tracked hours is short of the pro-rated goal (220 of 240 min on a 24 h day).
      goal_met: false,
      confirmed: true,
    });
    // Today is tracked whole since midnight now.
    const midnight = DateTime.now().setZone(ZONE).startOf('day');
    expect(body.days[1]!.tracked_minutes).toBeGreaterThanOrEqual(
      Math.floor(DateTime.now().diff(midnight, 'minutes').minutes) - 1,
    );
    expect(body.summary.tracked_days).toBe(2);
    expect(body.summary.average_wear_minutes).toBe(
      Math.round((body.days[0]!.wear_minutes * 1440) / body.days[0]!.tracked_minutes),
    );
  });
});

describe('app silence', () => {
  it('leaves 3 silent days unconfirmed and stops the streak there', async () => {
    const registeredAt = DateTime.now().setZone(ZONE).minus({ days: 10 }).startOf('day').toJSDate();
    const patient = await newPatient(app, { timezone: ZONE, created_at: registeredAt });
    await app.deps.knex('treatments').insert({
      user_id: patient.user.id,
      status: 'active',
      total_aligners: 20,
      current_aligner: 1,
      change_interval_days: 14,
      started_on: daysAgo(10),
      current_aligner_started_on: daysAgo(10),
    });
    // The app talked every day until 4 days ago, then fell silent for 3 days; today it asks.
    await inContact(app, patient, daysAgo(10), daysAgo(4));

    const body = await stats(patient, daysAgo(10), daysAgo(0));
    expect(body.days.filter((day) => !day.confirmed).map((day) => day.date)).toEqual([
      daysAgo(3),
      daysAgo(2),
      daysAgo(1),
    ]);
    expect(body.summary.unconfirmed_days).toBe(3);
    const today = body.days.at(-1)!;
    expect(body.summary.current_streak_days).toBe(today.goal_met ? 1 : 0);
    // The seven confirmed days before the silence, all worn, make the average.
    expect(body.summary.average_wear_minutes).toBe(1440);
  });

  it('trusts a silence of two days', async () => {
    const registeredAt = DateTime.now().setZone(ZONE).minus({ days: 10 }).startOf('day').toJSDate();
    const patient = await newPatient(app, { timezone: ZONE, created_at: registeredAt });
    await inContact(app, patient, daysAgo(10), daysAgo(3));
    await app.deps.knex('wear_sessions').insert({
      id: randomUUID(),
      user_id: patient.user.id,
      started_at: registeredAt,
      ended_at: new Date(registeredAt.getTime() + 60_000),
    });
    const body = await stats(patient, daysAgo(10), daysAgo(0));
    expect(body.summary.unconfirmed_days).toBe(0);
    expect(body.days.every((day) => day.confirmed)).toBe(true);
  });

  it('records the day of each authenticated request, once per day', async () => {
    const patient = await newPatient(app, { timezone: ZONE });
    for (let request = 0; request < 3; request += 1)
      expect((await call(app, patient, 'GET', '/notifications')).status).toBe(200);
    const rows = await waitFor(
      () => app.deps.knex('app_contact_days').where({ user_id: patient.user.id }).select('day'),
      (found) => found.length > 0,
      5000,
    );
    expect(rows).toEqual([{ day: daysAgo(0) }]);
  });

  it('records the day a profile is created, by the request that creates it', async () => {
    const patient = await signUp();
    const rows = await waitFor(
      () => app.deps.knex('app_contact_days').where({ user_id: patient.user.id }).select('day'),
      (found) => found.length > 0,
      5000,
    );
    expect(rows).toEqual([{ day: localDate(patient.registeredAt) }]);
  });
});

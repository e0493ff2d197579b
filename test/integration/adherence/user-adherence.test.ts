import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { addDays, todayIn } from '../../../src/shared/time/local-time.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { createTreatment, createWearSession } from '../../support/factories.js';
import { call, faithfulPatient, newPatient } from '../../support/wear-fixtures.js';

// GET /internal/users/by-email/{email}/adherence (docs/internal-api.md#adherence): the
// figures the app shows, for Jarvis. Checked by hand and against the app's own
// GET /wear-stats and GET /treatment, read at the same moment.

const ZONE = 'Europe/London';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

async function adherence(email: string, query = '') {
  const response = await app.request(
    `/internal/users/by-email/${encodeURIComponent(email)}/adherence${query}`,
    { headers: { 'x-api-key': app.config.INTERNAL_API_KEYS[0]! } },
  );
  return {
    status: response.status, // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by the tests
    body: (await response.json()) as any,
  };
}

describe('a patient’s adherence for the back office', () => {
  it('gives the figures the app shows: by hand over 7 and 30 days, and equal to wear-stats and treatment', async () => {
    const today = todayIn(ZONE, new Date());
    // Registered at midnight 20 days ago; on aligner 2 for 5 days; 180 minutes out
    // from noon on each of the last 10 days (1260 worn), nothing before (1440).
    const registered = DateTime.fromISO(addDays(today, -20), { zone: ZONE }).toJSDate();
    const patient = await faithfulPatient(app, ZONE, registered);
    await createTreatment(app.deps.knex, {
      user_id: patient.user.id,
      started_on: addDays(today, -20),
      current_aligner: 2,
      current_aligner_started_on: addDays(today, -5),
    });
    for (let day = 1; day <= 10; day += 1) {
      const noon = DateTime.fromISO(`${addDays(today, -day)}T12:00`, { zone: ZONE });
      await createWearSession(app.deps.knex, {
        user_id: patient.user.id,
        started_at: noon.toJSDate(),
        ended_at: noon.plus({ minutes: 180 }).toJSDate(),
      });
    }

    const week = await adherence(patient.user.email, '?days=7');
    expect(week.status).toBe(200);
    const stats = await call(app, patient, 'GET', `/wear-stats?from=${addDays(today, -6)}&to=${today}`);
    const treatment = await call(app, patient, 'GET', '/treatment');
    const goalMetDays = stats.body.days.filter(
      (day: { goal_met: boolean; confirmed: boolean }) => day.goal_met && day.confirmed,
    ).length;
    expect(week.body).toEqual({
      days: 7,
      tracked_days: 7,
      average_wear_minutes: 1260,
      goal_minutes: 1320,
      // No complete day met 1320; today counts once it has.
      days_goal_met: goalMetDays,
      current_streak_days: stats.body.summary.current_streak_days,
      unconfirmed_days: 0,
      current_aligner: 2,
      current_aligner_wear: treatment.body.current_aligner_wear,
    });
    expect(goalMetDays).toBeLessThanOrEqual(1);
    expect(stats.body.summary.average_wear_minutes).toBe(1260);

    // 30 days asked, 21 tracked (from registration): 10 complete days of 1440 and 10 of 1260.
    const month = await adherence(patient.user.email);
    expect(month.body).toMatchObject({ days: 30, tracked_days: 21, average_wear_minutes: 1350 });
  });

  it('has no aligner figures without a plan, and uses the default goal', async () => {
    const patient = await newPatient(app, { timezone: ZONE });
    const answer = await adherence(patient.user.email.toUpperCase(), '?days=1');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      days: 1,
      goal_minutes: 1320,
      current_aligner: null,
      current_aligner_wear: null,
    });
  });

  it('answers 404 for an unknown email, 422 for bad input, 401 without the key', async () => {
    expect((await adherence('nobody@example.com')).status).toBe(404);
    for (const query of ['?days=0', '?days=367', '?days=1.5', '?days=x'])
      expect({ query, status: (await adherence('nobody@example.com', query)).status }).toEqual({
        query,
        status: 422,
      });
    expect((await adherence('not-an-email')).status).toBe(422);
    expect((await app.request('/internal/users/by-email/a%40b.com/adherence')).status).toBe(401);
  });
});

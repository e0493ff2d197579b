import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { readTreatment } from '../../../src/treatment/plan.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { createWearSession } from '../../support/factories.js';
import { call, faithfulPatient, type Patient } from '../../support/wear-fixtures.js';

// `current_aligner_wear` (docs/resources.md#aligner-readiness), against hand-computed
// figures: on a fixed clock through the use case, then once through the API.

const ZONE = 'Europe/London';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

async function onAligner(
  patient: Patient,
  fields: { current_aligner_started_on: string; extension_days?: number; daily_wear_goal_minutes?: number },
) {
  await app.deps.knex('treatments').insert({
    user_id: patient.user.id,
    status: 'active',
    total_aligners: 20,
    current_aligner: 5,
    change_interval_days: 14,
    started_on: '2026-01-01',
    ...fields,
  });
}

/** Out of the mouth from `hour` UTC for `hours` hours on each of `dates`. */
async function outDaily(patient: Patient, dates: string[], hour: number, hours: number) {
  for (const date of dates) {
    const start = new Date(`${date}T${String(hour).padStart(2, '0')}:00:00Z`);
    await createWearSession(app.deps.knex, {
      user_id: patient.user.id,
      started_at: start,
      ended_at: new Date(start.getTime() + hours * 3600_000),
    });
  }
}

const read = (patient: Patient, now: string) =>
  readTreatment(app.deps.knex, patient.user.cognito_sub, { silentDaysAllowed: 2 }, new Date(now));

describe('current aligner readiness', () => {
  it('adds up the deficit over the days on the aligner, a DST day at its real length', async () => {
    const patient = await faithfulPatient(app, ZONE);
    await onAligner(patient, { current_aligner_started_on: '2026-03-27' });
    // 8 h out each day; the 29th (spring forward) lasts 23 h.
    await outDaily(patient, ['2026-03-27', '2026-03-28', '2026-03-29', '2026-03-30'], 8, 8);
    const treatment = await read(patient, '2026-03-31T12:00:00Z');
    // Wear 960, 960, 900 (1380 − 480), 960; today (the 31st) is not judged yet.
    // Deficit (1320 − 960) × 3 + (1320 − 900) = 1500; 1500 / 1320 = 1.14 → 1 day.
    // Average per 24 h tracked: 3780 × 1440 / 5700 = 954.9 → 955.
    expect(treatment.current_aligner_wear).toEqual({
      days: 5,
      average_wear_minutes: 955,
      goal_minutes: 1320,
      deficit_minutes: 1500,
      suggested_extra_days: 1,
    });
  });

  it('caps the suggestion at 3 days, and counts an extended aligner from when it was put in', async () => {
    const patient = await faithfulPatient(app, ZONE);
    await onAligner(patient, { current_aligner_started_on: '2026-06-01', extension_days: 2 });
    const dates = Array.from({ length: 10 }, (_, index) => `2026-06-${String(index + 1).padStart(2, '0')}`);
    await outDaily(patient, dates, 6, 12);
    const treatment = await read(patient, '2026-06-11T09:00:00Z');
    // 10 days of 720 min worn: deficit 10 × 600 = 6000, 4.5 days of goal wear, capped.
    expect(treatment.current_aligner_wear).toEqual({
      days: 11,
      average_wear_minutes: 720,
      goal_minutes: 1320,
      deficit_minutes: 6000,
      suggested_extra_days: 3,
    });
    expect(treatment.extension_days).toBe(2);
  });

  it('suggests nothing when the goal was met on balance, nor before a complete day', async () => {
    const patient = await faithfulPatient(app, ZONE);
    await onAligner(patient, { current_aligner_started_on: '2026-06-01', daily_wear_goal_minutes: 1200 });
    // 5 h out on the 1st (1140 worn, 60 short), 1 h on the 2nd (1380, 180 over).
    await outDaily(patient, ['2026-06-01'], 6, 5);
    await outDaily(patient, ['2026-06-02'], 6, 1);
    expect((await read(patient, '2026-06-03T09:00:00Z')).current_aligner_wear).toEqual({
      days: 3,
      average_wear_minutes: 1260,
      goal_minutes: 1200,
      deficit_minutes: 0,
      suggested_extra_days: 0,
    });
    expect((await read(patient, '2026-06-01T09:00:00Z')).current_aligner_wear).toEqual({
      days: 1,
      average_wear_minutes: null,
      goal_minutes: 1200,
      deficit_minutes: 0,
      suggested_extra_days: 0,
    });
  });

  it('is part of GET /treatment', async () => {
    const patient = await faithfulPatient(app, ZONE);
    const today = DateTime.now().setZone(ZONE).toISODate()!;
    await onAligner(patient, { current_aligner_started_on: today });
    const answer = await call(app, patient, 'GET', '/treatment');
    expect(answer.status).toBe(200);
    expect(answer.body.current_aligner_wear).toMatchObject({ goal_minutes: 1320, suggested_extra_days: 0 });
  });
});

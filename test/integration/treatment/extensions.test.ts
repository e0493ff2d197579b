import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { startTestApp, type TestApp } from '../../support/app.js';
import { createTreatment } from '../../support/factories.js';
import { call, errorPaths, localDay, newPatient, type Patient } from '../../support/treatment-fixtures.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const ZONE = 'Asia/Kolkata';

/** Aligner 2 of 10, 14 days each, worn for 4 days: the next change is in 10 days. */
async function patientWithPlan(status: 'active' | 'paused' | 'completed' = 'active'): Promise<Patient> {
  const patient = await newPatient(app, { timezone: ZONE });
  await createTreatment(app.deps.knex, {
    user_id: patient.user.id,
    status,
    total_aligners: 10,
    current_aligner: 2,
    change_interval_days: 14,
    started_on: localDay(ZONE, -18),
    current_aligner_started_on: localDay(ZONE, -4),
  });
  return patient;
}

const extensionRows = (patient: Patient) =>
  app.deps.knex('treatment_extensions').where({ user_id: patient.user.id }).orderBy('created_at');

describe('POST /auth/users/{sub}/treatment/extensions', () => {
  it('pushes the next change back by the days given and records the extension', async () => {
    const patient = await patientWithPlan();
    const answer = await call(app, patient, 'POST', '/treatment/extensions', {
      days: 3,
      reason: ' Sore teeth ',
    });
    expect(answer.status).toBe(201);
    expect(answer.body.extension).toEqual({
      id: expect.any(String),
      aligner_number: 2,
      days: 3,
      reason: 'Sore teeth',
      created_at: expect.any(String),
    });
    expect(answer.body.treatment).toMatchObject({
      current_aligner: 2,
      extension_days: 3,
      next_change_on: localDay(ZONE, 13),
      days_left: 13,
      estimated_completion_on: localDay(ZONE, 13 + 8 * 14),
    });

    const again = await call(app, patient, 'POST', '/treatment/extensions', { days: 2 });
    expect(again.status).toBe(201);
    expect(again.body.extension.reason).toBeNull();
    expect(again.body.treatment).toMatchObject({ extension_days: 5, next_change_on: localDay(ZONE, 15) });
    expect((await call(app, patient, 'GET', '/treatment')).body).toMatchObject({ days_left: 15 });
    expect(await extensionRows(patient)).toHaveLength(2);
  });

  it('moves the progress reminder to the new change day', async () => {
    const patient = await patientWithPlan();
    await call(app, patient, 'PUT', '/settings', { reminder_time: '07:30' });
    await call(app, patient, 'POST', '/treatment/extensions', { days: 1 });
    const reminders = await app.deps
      .knex('reminders')
      .where({ user_id: patient.user.id, type: 'progress' })
      .orderBy('created_at');
    const live = reminders.filter((reminder) => reminder.status === 'pending');
    expect(live).toHaveLength(1);
    expect(DateTime.fromJSDate(live[0].send_after, { zone: ZONE }).toFormat('yyyy-MM-dd HH:mm')).toBe(
      `${localDay(ZONE, 11)} 07:30`,
    );
    expect(reminders.filter((reminder) => reminder.status === 'cancelled')).toHaveLength(1);
  });

  it.each(['paused', 'completed'] as const)(
    'refuses a %s treatment with 409 treatment_not_active',
    async (status) => {
      const patient = await patientWithPlan(status);
      const answer = await call(app, patient, 'POST', '/treatment/extensions', { days: 3 });
      expect(answer.status).toBe(409);
      expect(answer.body.code).toBe('treatment_not_active');
      expect(await extensionRows(patient)).toHaveLength(0);
    },
  );

  it('answers 404 before a treatment plan exists', async () => {
    const patient = await newPatient(app, { timezone: ZONE });
    const answer = await call(app, patient, 'POST', '/treatment/extensions', { days: 3 });
    expect(answer.status).toBe(404);
  });

  it('refuses to extend one aligner by more than 365 days in all', async () => {
    const patient = await patientWithPlan();
    await app.deps.knex('treatments').where({ user_id: patient.user.id }).update({ extension_days: 350 });
    const answer = await call(app, patient, 'POST', '/treatment/extensions', { days: 16 });
    expect(answer.status).toBe(422);
    expect(errorPaths(answer)).toEqual(['body.days']);
    expect((await call(app, patient, 'POST', '/treatment/extensions', { days: 15 })).status).toBe(201);
  });

  it.each([
    ['days missing', {}, 'body.days'],
    ['days 0', { days: 0 }, 'body.days'],
    ['days 31', { days: 31 }, 'body.days'],
    ['days negative', { days: -3 }, 'body.days'],
    ['days fractional', { days: 1.5 }, 'body.days'],
    ['days as a string', { days: '3' }, 'body.days'],
    ['days huge', { days: 1e16 }, 'body.days'],
    ['days a boolean', { days: true }, 'body.days'],
    ['reason empty', { days: 3, reason: '   ' }, 'body.reason'],
    ['reason too long', { days: 3, reason: 'x'.repeat(501) }, 'body.reason'],
    ['reason a number', { days: 3, reason: 42 }, 'body.reason'],
    ['an unknown field', { days: 3, aligner_number: 2 }, 'body'],
  ])('rejects %s with 422 on its path', async (_case, json, path) => {
    const patient = await patientWithPlan();
    const answer = await call(app, patient, 'POST', '/treatment/extensions', json);
    expect(answer.status).toBe(422);
    expect(errorPaths(answer)).toContain(path);
    expect(await extensionRows(patient)).toHaveLength(0);
  });
});

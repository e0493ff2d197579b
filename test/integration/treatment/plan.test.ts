import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { startTestApp, type TestApp } from '../../support/app.js';
import { call, errorPaths, localDay, newPatient } from '../../support/treatment-fixtures.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const ZONE = 'Pacific/Auckland';

/** Aligner 5 of 20, ten days each, started 45 days ago: aligners 1–4 took 40 days, 5 began 5 days ago. */
function planOnDay5() {
  return {
    total_aligners: 20,
    current_aligner: 5,
    change_interval_days: 10,
    started_on: localDay(ZONE, -45),
    current_aligner_started_on: localDay(ZONE, -5),
  };
}

describe('PUT/GET /auth/users/{sub}/treatment', () => {
  it('is 404 before the first PUT, 201 on create, 200 on update, with derived fields in the user zone', async () => {
    const patient = await newPatient(app, { timezone: ZONE });
    const missing = await call(app, patient, 'GET', '/treatment');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      code: 'not_found',
      detail: expect.stringMatching(/no treatment plan/i),
    });

    const created = await call(app, patient, 'PUT', '/treatment', planOnDay5());
    expect(created.status).toBe(201);
    const expected = {
      ...planOnDay5(),
      status: 'active',
      daily_wear_goal_minutes: 1320,
      extension_days: 0,
      next_change_on: localDay(ZONE, 5),
      days_left: 5,
      progress_percent: 22.5, // (4 aligners × 10 days + 5 days) / 200 days
      estimated_completion_on: localDay(ZONE, 5 + 15 * 10),
    };
    expect(created.body).toEqual({ ...expected, updated_at: expect.any(String) });

    const read = await call(app, patient, 'GET', '/treatment');
    expect(read.status).toBe(200);
    // GET adds how the current aligner has been worn: nothing tracked yet (registered just now).
    expect(read.body).toEqual({
      ...created.body,
      current_aligner_wear: {
        days: expect.any(Number),
        average_wear_minutes: null,
        goal_minutes: 1320,
        deficit_minutes: 0,
        suggested_extra_days: 0,
      },
    });

    const updated = await call(app, patient, 'PUT', '/treatment', {
      ...planOnDay5(),
      daily_wear_goal_minutes: 1200,
      status: 'paused',
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ status: 'paused', daily_wear_goal_minutes: 1200, days_left: 5 });
    expect(await app.deps.knex('treatments').where({ user_id: patient.user.id }).count({ n: '*' })).toEqual([
      { n: 1 },
    ]);
  });

  it('keeps extensions while the current aligner wear is unchanged and resets them for a new one', async () => {
    const patient = await newPatient(app, { timezone: ZONE });
    await call(app, patient, 'PUT', '/treatment', planOnDay5());
    expect((await call(app, patient, 'POST', '/treatment/extensions', { days: 3 })).status).toBe(201);

    const goalOnly = await call(app, patient, 'PUT', '/treatment', {
      ...planOnDay5(),
      daily_wear_goal_minutes: 900,
    });
    expect(goalOnly.body).toMatchObject({
      extension_days: 3,
      next_change_on: localDay(ZONE, 8),
      days_left: 8,
    });

    const newWear = await call(app, patient, 'PUT', '/treatment', {
      ...planOnDay5(),
      current_aligner: 6,
      current_aligner_started_on: localDay(ZONE, 0),
    });
    expect(newWear.body).toMatchObject({
      extension_days: 0,
      current_aligner: 6,
      next_change_on: localDay(ZONE, 10),
      days_left: 10,
      progress_percent: 25,
    });
  });

  it('keeps the status the client sends, even on the last aligner (completed only comes from a change)', async () => {
    const patient = await newPatient(app, { timezone: ZONE });
    const last = await call(app, patient, 'PUT', '/treatment', {
      ...planOnDay5(),
      total_aligners: 5,
      started_on: localDay(ZONE, -45),
    });
    expect(last.status).toBe(201);
    expect(last.body).toMatchObject({ status: 'active', next_change_on: localDay(ZONE, 5), days_left: 5 });
  });

  it('accepts a plan that starts in the future (set up before the first aligner is worn)', async () => {
    const patient = await newPatient(app, { timezone: ZONE });
    const ahead = await call(app, patient, 'PUT', '/treatment', {
      total_aligners: 10,
      current_aligner: 1,
      change_interval_days: 7,
      started_on: localDay(ZONE, 3),
      current_aligner_started_on: localDay(ZONE, 3),
    });
    expect(ahead.status).toBe(201);
    expect(ahead.body).toMatchObject({
      next_change_on: localDay(ZONE, 10),
      days_left: 10,
      progress_percent: 0,
    });
  });

  it('plans the progress reminder at 09:00 local on the next change day', async () => {
    const patient = await newPatient(app, { timezone: ZONE });
    await call(app, patient, 'PUT', '/treatment', planOnDay5());
    const reminder = await app.deps
      .knex('reminders')
      .where({ user_id: patient.user.id, type: 'progress', status: 'pending' })
      .first();
    expect(reminder).toMatchObject({ aligner_number: 6 });
    expect(DateTime.fromJSDate(reminder.send_after, { zone: ZONE }).toFormat('yyyy-MM-dd HH:mm')).toBe(
      `${localDay(ZONE, 5)} 09:00`,
    );
  });

  const valid = () => planOnDay5();
  it.each([
    ['total_aligners missing', { ...valid(), total_aligners: undefined }, 'body.total_aligners'],
    ['total_aligners 0', { ...valid(), total_aligners: 0 }, 'body.total_aligners'],
    ['total_aligners 101', { ...valid(), total_aligners: 101 }, 'body.total_aligners'],
    ['total_aligners as a string', { ...valid(), total_aligners: '20' }, 'body.total_aligners'],
    ['total_aligners fractional', { ...valid(), total_aligners: 20.5 }, 'body.total_aligners'],
    ['total_aligners huge', { ...valid(), total_aligners: 1e308 }, 'body.total_aligners'],
    ['current_aligner 0', { ...valid(), current_aligner: 0 }, 'body.current_aligner'],
    ['current_aligner negative', { ...valid(), current_aligner: -1 }, 'body.current_aligner'],
    ['current_aligner past total_aligners', { ...valid(), current_aligner: 21 }, 'body.current_aligner'],
    ['change_interval_days 0', { ...valid(), change_interval_days: 0 }, 'body.change_interval_days'],
    ['change_interval_days 31', { ...valid(), change_interval_days: 31 }, 'body.change_interval_days'],
    ['change_interval_days null', { ...valid(), change_interval_days: null }, 'body.change_interval_days'],
    ['started_on not a date', { ...valid(), started_on: 'yesterday' }, 'body.started_on'],
    ['started_on 30 February', { ...valid(), started_on: '2026-02-30' }, 'body.started_on'],
    ['started_on without dashes', { ...valid(), started_on: '20260203' }, 'body.started_on'],
    ['started_on with a time', { ...valid(), started_on: '2026-02-03T00:00:00Z' }, 'body.started_on'],
    ['started_on as a number', { ...valid(), started_on: 20260203 }, 'body.started_on'],
    ['started_on before 2000', { ...valid(), started_on: '1999-12-31' }, 'body.started_on'],
    [
      'current_aligner_started_on year 9999',
      { ...valid(), current_aligner_started_on: '9999-12-31' },
      'body.current_aligner_started_on',
    ],
    [
      'current_aligner_started_on before started_on',
      { ...valid(), current_aligner_started_on: localDay(ZONE, -46) },
      'body.current_aligner_started_on',
    ],
    [
      'daily_wear_goal_minutes 59',
      { ...valid(), daily_wear_goal_minutes: 59 },
      'body.daily_wear_goal_minutes',
    ],
    [
      'daily_wear_goal_minutes 1441',
      { ...valid(), daily_wear_goal_minutes: 1441 },
      'body.daily_wear_goal_minutes',
    ],
    ['status completed', { ...valid(), status: 'completed' }, 'body.status'],
    ['status not_started', { ...valid(), status: 'not_started' }, 'body.status'],
    ['an unknown field', { ...valid(), extension_days: 5 }, 'body'],
    ['an array body', [valid()], 'body'],
  ])('rejects %s with 422 on its path, storing nothing', async (_case, json, path) => {
    const patient = await newPatient(app, { timezone: ZONE });
    const answer = await call(app, patient, 'PUT', '/treatment', json);
    expect(answer.status).toBe(422);
    expect(answer.body.code).toBe('validation_failed');
    expect(errorPaths(answer)).toContain(path);
    expect(await app.deps.knex('treatments').where({ user_id: patient.user.id }).first()).toBeUndefined();
  });

  it('answers malformed JSON (or a __proto__ key) with 400 and a body of another type with 415', async () => {
    const patient = await newPatient(app, { timezone: ZONE });
    const malformed = await app.request(`${patient.base}/treatment`, {
      method: 'PUT',
      token: patient.token,
      headers: { 'content-type': 'application/json' },
      body: '{"total_aligners": 20,',
    });
    expect(malformed.status).toBe(400);
    const form = await app.request(`${patient.base}/treatment`, {
      method: 'PUT',
      token: patient.token,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'total_aligners=20',
    });
    expect(form.status).toBe(415);
    const prototype = await app.request(`${patient.base}/treatment`, {
      method: 'PUT',
      token: patient.token,
      headers: { 'content-type': 'application/json' },
      body: `{"__proto__": {"status": "completed"}, "total_aligners": 20}`,
    });
    expect(prototype.status).toBe(400);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { startTestApp, type TestApp } from '../../support/app.js';
import { createTreatment, createWearSession } from '../../support/factories.js';
import { call, errorPaths, localDay, newPatient } from '../../support/treatment-fixtures.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const DEFAULTS = {
  progress_reminders: true,
  reminder_time: '09:00',
  wear_reminders: true,
  wear_reminder_after_minutes: 30,
  weekly_summary: true,
};

describe('GET/PUT /auth/users/{sub}/settings', () => {
  it('reads the defaults, then a full update, then a partial one that keeps the rest', async () => {
    const patient = await newPatient(app);
    const defaults = await call(app, patient, 'GET', '/settings');
    expect(defaults).toEqual({ status: 200, body: DEFAULTS });

    const full = {
      progress_reminders: false,
      reminder_time: '21:45',
      wear_reminders: false,
      wear_reminder_after_minutes: 240,
      weekly_summary: false,
    };
    expect(await call(app, patient, 'PUT', '/settings', full)).toEqual({ status: 200, body: full });
    expect((await call(app, patient, 'GET', '/settings')).body).toEqual(full);

    const partial = await call(app, patient, 'PUT', '/settings', {
      reminder_time: '00:00',
      wear_reminders: true,
    });
    expect(partial).toEqual({ status: 200, body: { ...full, reminder_time: '00:00', wear_reminders: true } });
    expect((await call(app, patient, 'GET', '/settings')).body).toEqual(partial.body);

    const empty = await call(app, patient, 'PUT', '/settings', {});
    expect(empty).toEqual(partial);
  });

  it('starts from the defaults on a first, partial PUT', async () => {
    const patient = await newPatient(app);
    const answer = await call(app, patient, 'PUT', '/settings', { wear_reminder_after_minutes: 5 });
    expect(answer).toEqual({ status: 200, body: { ...DEFAULTS, wear_reminder_after_minutes: 5 } });
  });

  it('moves the progress reminder to the new time, and withdraws it when switched off', async () => {
    const zone = 'Australia/Sydney';
    const patient = await newPatient(app, { timezone: zone });
    await createTreatment(app.deps.knex, {
      user_id: patient.user.id,
      started_on: localDay(zone, -2),
      current_aligner_started_on: localDay(zone, -2),
    });
    const progress = () =>
      app.deps.knex('reminders').where({ user_id: patient.user.id, type: 'progress', status: 'pending' });

    await call(app, patient, 'PUT', '/settings', { reminder_time: '18:15' });
    const [moved] = await progress();
    expect(DateTime.fromJSDate(moved.send_after, { zone }).toFormat('yyyy-MM-dd HH:mm')).toBe(
      `${localDay(zone, 12)} 18:15`,
    );

    await call(app, patient, 'PUT', '/settings', { progress_reminders: false });
    expect(await progress()).toHaveLength(0);
  });

  it("re-plans an open wear session's reminder with the new delay", async () => {
    const patient = await newPatient(app);
    const startedAt = new Date(Date.now() - 10 * 60_000);
    const session = await createWearSession(app.deps.knex, {
      user_id: patient.user.id,
      started_at: startedAt,
      ended_at: null,
    });
    await call(app, patient, 'PUT', '/settings', { wear_reminder_after_minutes: 45 });
    const live = await app.deps
      .knex('reminders')
      .where({ wear_session_id: session.id, type: 'wear', status: 'pending' });
    expect(live).toHaveLength(1);
    expect(new Date(live[0].send_after).getTime()).toBe(startedAt.getTime() + 45 * 60_000);
  });

  it.each([
    ['progress_reminders as a string', { progress_reminders: 'true' }, 'body.progress_reminders'],
    ['progress_reminders as 1', { progress_reminders: 1 }, 'body.progress_reminders'],
    ['progress_reminders null', { progress_reminders: null }, 'body.progress_reminders'],
    ['reminder_time 24:00', { reminder_time: '24:00' }, 'body.reminder_time'],
    ['reminder_time 9:00', { reminder_time: '9:00' }, 'body.reminder_time'],
    ['reminder_time with seconds', { reminder_time: '09:00:00' }, 'body.reminder_time'],
    ['reminder_time 12:60', { reminder_time: '12:60' }, 'body.reminder_time'],
    ['reminder_time as a number', { reminder_time: 900 }, 'body.reminder_time'],
    ['reminder_time with a newline', { reminder_time: '09:00\n' }, 'body.reminder_time'],
    ['wear_reminders as an array', { wear_reminders: [true] }, 'body.wear_reminders'],
    ['wear_reminder_after_minutes 4', { wear_reminder_after_minutes: 4 }, 'body.wear_reminder_after_minutes'],
    [
      'wear_reminder_after_minutes 241',
      { wear_reminder_after_minutes: 241 },
      'body.wear_reminder_after_minutes',
    ],
    [
      'wear_reminder_after_minutes fractional',
      { wear_reminder_after_minutes: 30.5 },
      'body.wear_reminder_after_minutes',
    ],
    [
      'wear_reminder_after_minutes as a string',
      { wear_reminder_after_minutes: '30' },
      'body.wear_reminder_after_minutes',
    ],
    [
      'wear_reminder_after_minutes huge',
      { wear_reminder_after_minutes: 1e21 },
      'body.wear_reminder_after_minutes',
    ],
    ['weekly_summary as a string', { weekly_summary: 'false' }, 'body.weekly_summary'],
    ['weekly_summary null', { weekly_summary: null }, 'body.weekly_summary'],
    ['an unknown field', { reminder_times: '09:00' }, 'body'],
    ['an array body', [{ wear_reminders: false }], 'body'],
  ])('rejects %s with 422 on its path, storing nothing', async (_case, json, path) => {
    const patient = await newPatient(app);
    const answer = await call(app, patient, 'PUT', '/settings', json);
    expect(answer.status).toBe(422);
    expect(answer.body.code).toBe('validation_failed');
    expect(errorPaths(answer)).toContain(path);
    expect(await app.deps.knex('user_settings').where({ user_id: patient.user.id }).first()).toBeUndefined();
  });
});

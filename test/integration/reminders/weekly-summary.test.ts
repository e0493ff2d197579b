import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DateTime } from 'luxon';
import nock from 'nock';
import { randomUUID } from 'node:crypto';
import { scheduleReminderJob, remindersQueue } from '../../../src/reminders/jobs.js';
import type { Reminder } from '../../../src/reminders/model.js';
import { withdrawRemindersForErasure } from '../../../src/reminders/erasure.js';
import { processScheduleReminder } from '../../../src/reminders/schedule-job.js';
import { jobIdFor } from '../../../src/shared/jobs/queues.js';
import { addDays, todayIn } from '../../../src/shared/time/local-time.js';
import { sweep } from '../../../src/worker/maintenance/sweep.js';
import { startTestApp, tokenFor, type TestApp } from '../../support/app.js';
import { createReminder, createTreatment, createWearSession } from '../../support/factories.js';
import { fakeJob, waitFor } from '../../support/jobs.js';
import { call, inContact, newPatient, type Patient } from '../../support/wear-fixtures.js';
import { startTestWorker, sweepSources, workerContextFor } from '../../support/worker.js';

// The weekly summary push (docs/reminders.md#weekly-summary): each Sunday at the user's
// reminder_time, the week's figures, planned as a row, handed to OneSignal at its lead.

const ONESIGNAL = 'https://onesignal.test';
const APP_ID = 'app-0000-1111';
const REST_KEY = 'rest-key-secret';
const HEADERS = {
  authorization: `Key ${REST_KEY}`,
  'content-type': 'application/json',
  accept: 'application/json',
};

let app: TestApp;
let worker: Awaited<ReturnType<typeof startTestWorker>> | undefined;
beforeAll(async () => {
  app = await startTestApp({
    env: { ONESIGNAL_APP_ID: APP_ID, ONESIGNAL_REST_API_KEY: REST_KEY, ONESIGNAL_API_URL: ONESIGNAL },
  });
});
afterEach(async () => {
  jest.useRealTimers();
  await worker?.stop();
  worker = undefined;
  nock.cleanAll();
  nock.enableNetConnect();
});
afterAll(() => app.close());

const weeklyOf = (patient: Patient) =>
  app.deps
    .knex('reminders')
    .where({ user_id: patient.user.id, type: 'weekly_summary' })
    .orderBy('send_after') as Promise<Reminder[]>;

/** The JS clock at `at`, everything else real: the planning and the job read `new Date()`. */
function clockAt(at: string) {
  jest.useFakeTimers({
    now: new Date(at),
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
}

/** OneSignal's create call, answered with `id`; the bodies it received go to `bodies`. */
function expectCreate(bodies: unknown[], id: string) {
  return nock(ONESIGNAL, { reqheaders: HEADERS })
    .post('/notifications', (body) => {
      bodies.push(body);
      return true;
    })
    .reply(200, { id });
}

function expectedBody(patient: Patient, reminder: Reminder, message: string) {
  return {
    app_id: APP_ID,
    include_aliases: { external_id: [patient.user.cognito_sub] },
    target_channel: 'push',
    headings: { en: 'Your week' },
    contents: { en: message },
    send_after: reminder.send_after.toISOString(),
    data: { notification_id: reminder.id, type: 'weekly_summary' },
    idempotency_key: reminder.id,
  };
}

/**
 * A patient registered at midnight local on Sunday 22 March 2026, in contact every day,
 * out of mouth from noon every day: 270 minutes on 22 and 23 March (1170 worn, under the
 * 1320 goal), 60 minutes from 24 to 28 March (1380 worn, at goal). Over the 7 days:
 * (2 × 1170 + 5 × 1380) / 7 = 1320 minutes, 22 h; goal met on 5; a 5-day streak.
 */
async function patientOfMarchWeek(zone: string, withTreatment: boolean): Promise<Patient> {
  const registeredAt = DateTime.fromISO('2026-03-22T00:00', { zone }).toJSDate();
  const patient = await newPatient(app, { timezone: zone, created_at: registeredAt });
  await inContact(app, patient, '2026-03-21', '2026-04-30');
  if (withTreatment)
    await createTreatment(app.deps.knex, {
      user_id: patient.user.id,
      started_on: '2026-03-22',
      current_aligner: 5,
      current_aligner_started_on: '2026-03-22',
    });
  for (let day = 0; day < 7; day += 1) {
    const noon = DateTime.fromISO(`${addDays('2026-03-22', day)}T12:00`, { zone });
    await createWearSession(app.deps.knex, {
      user_id: patient.user.id,
      started_at: noon.toJSDate(),
      ended_at: noon.plus({ minutes: day < 2 ? 270 : 60 }).toJSDate(),
    });
  }
  return patient;
}

describe('weekly summary across the DST change of Sunday 29 March 2026', () => {
  it.each([
    // London: 09:00 BST is 08:00 UTC (09:00 UTC the Sunday before); the next, 5 April, too.
    {
      zone: 'Europe/London',
      treatment: true,
      sendAt: '2026-03-29T08:00:00.000Z',
      next: '2026-04-05T08:00:00.000Z',
      message: '22 h a day on average, goal met on 5 of 7 days, 5-day streak. Aligner 5: on track',
    },
    // Berlin: 09:00 CEST is 07:00 UTC (08:00 UTC the Sunday before). No treatment: no aligner part.
    {
      zone: 'Europe/Berlin',
      treatment: false,
      sendAt: '2026-03-29T07:00:00.000Z',
      next: '2026-04-05T07:00:00.000Z',
      message: '22 h a day on average, goal met on 5 of 7 days, 5-day streak.',
    },
  ])('$zone: planned for $sendAt, sent once with the week’s figures, the next week planned', async (row) => {
    clockAt('2026-03-25T12:00:00Z');
    const patient = await patientOfMarchWeek(row.zone, row.treatment);
    // A settings change plans it (the route re-plans, as it does for the other reminders).
    expect((await call(app, patient, 'PUT', '/settings', { reminder_time: '09:00' })).status).toBe(200);
    const [planned] = await weeklyOf(patient);
    expect(planned).toMatchObject({ status: 'pending', week_of: '2026-03-29', summary: null });
    expect(planned!.send_after.toISOString()).toBe(row.sendAt);

    // Its hand-over, 15 minutes before: the figures are fixed and OneSignal gets the push.
    clockAt(new Date(new Date(row.sendAt).getTime() - 14 * 60_000).toISOString());
    const bodies: unknown[] = [];
    const create = expectCreate(bodies, `os-${row.zone}`);
    expect(await processScheduleReminder(fakeJob(planned!.id), workerContextFor(app))).toEqual({
      status: 'scheduled',
    });
    create.done();
    expect(bodies).toEqual([expectedBody(patient, planned!, row.message)]);

    const [sent, next, ...more] = await weeklyOf(patient);
    expect(more).toEqual([]);
    expect(sent).toMatchObject({
      id: planned!.id,
      status: 'scheduled',
      onesignal_id: `os-${row.zone}`,
      summary: {
        tracked_days: 7,
        average_wear_minutes: 1320,
        days_goal_met: 5,
        current_streak_days: 5,
        aligner: row.treatment ? { number: 5, average_wear_minutes: 1320, suggested_extra_days: 0 } : null,
      },
    });
    expect(next).toMatchObject({ status: 'pending', week_of: '2026-04-05', summary: null });
    expect(next!.send_after.toISOString()).toBe(row.next);

    // Once: a duplicate job (or a sweep's re-enqueue) sends nothing more.
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1|localhost/);
    expect(await processScheduleReminder(fakeJob(planned!.id), workerContextFor(app))).toEqual({
      skipped: 'scheduled',
    });
    expect(await weeklyOf(patient)).toHaveLength(2);
  });

  it('a retry after a lost answer sends the same words, with the same idempotency key', async () => {
    clockAt('2026-03-25T12:00:00Z');
    const patient = await patientOfMarchWeek('Europe/London', true);
    await call(app, patient, 'PUT', '/settings', {});
    const [planned] = await weeklyOf(patient);
    clockAt('2026-03-29T07:50:00Z');
    const bodies: unknown[] = [];
    nock(ONESIGNAL, { reqheaders: HEADERS })
      .post('/notifications', (body) => bodies.push(body) > 0)
      .reply(503, 'unavailable');
    await expect(processScheduleReminder(fakeJob(planned!.id), workerContextFor(app))).rejects.toThrow();
    // A session logged meanwhile does not change what the retry says.
    await createWearSession(app.deps.knex, {
      user_id: patient.user.id,
      started_at: new Date('2026-03-28T20:00:00Z'),
      ended_at: new Date('2026-03-28T23:00:00Z'),
    });
    expectCreate(bodies, 'os-retry');
    expect(await processScheduleReminder(fakeJob(planned!.id, 1), workerContextFor(app))).toEqual({
      status: 'scheduled',
    });
    expect(bodies).toHaveLength(2);
    expect(bodies[1]).toEqual(bodies[0]);
    expect(await weeklyOf(patient)).toHaveLength(2);
  });
});

describe('weekly summary through the sweep and the worker', () => {
  const zone = 'Europe/London';

  /** A weekly row of the patient due in `inMinutes`, summing up the 7 days before today. */
  async function dueRow(patient: Patient, inMinutes: number): Promise<Reminder> {
    return await createReminder(app.deps.knex, {
      user_id: patient.user.id,
      type: 'weekly_summary',
      aligner_number: null,
      week_of: todayIn(zone, new Date()),
      send_after: new Date(Date.now() + inMinutes * 60_000),
      updated_at: new Date(Date.now() - 3600_000),
    });
  }

  it('hands a row over at its lead only: the sweep leaves one further ahead alone', async () => {
    const patient = await newPatient(app, { timezone: zone });
    const ahead = await dueRow(patient, 40);
    await sweep(app.deps.knex, app.deps.dispatcher, sweepSources, app.deps.logger, { graceMs: 0 });
    const job = await app.deps.queues.of(remindersQueue).getJob(jobIdFor(scheduleReminderJob, ahead.id));
    expect(job).toBeUndefined();
  });

  it('sends nothing for a week with nothing tracked, and plans the next one', async () => {
    // No treatment and no session: nothing is tracked.
    const patient = await newPatient(app, { timezone: zone });
    const due = await dueRow(patient, 10);
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1|localhost/);
    await sweep(app.deps.knex, app.deps.dispatcher, sweepSources, app.deps.logger, { graceMs: 0 });
    worker = await startTestWorker(app.config);
    const [skipped, next] = await waitFor(
      () => weeklyOf(patient),
      (rows) => rows[0]!.status !== 'pending' && rows.length === 2,
      15_000,
      'weekly summary settled',
    );
    expect(skipped).toMatchObject({
      id: due.id,
      status: 'skipped',
      status_reason: 'nothing_tracked',
      summary: null,
    });
    expect(skipped!.schedule_sent_at).not.toBeNull();
    expect(next).toMatchObject({ status: 'pending', summary: null });
    expect(DateTime.fromJSDate(next!.send_after, { zone }).toFormat('cccc HH:mm')).toBe('Sunday 09:00');
  });

  it('sends the push of a tracked week through the sweep (rows first: no job needed)', async () => {
    const patient = await newPatient(app, { timezone: zone, created_at: new Date('2020-01-01T00:00:00Z') });
    const today = todayIn(zone, new Date());
    await inContact(app, patient, addDays(today, -10), addDays(today, 1));
    await createTreatment(app.deps.knex, {
      user_id: patient.user.id,
      started_on: addDays(today, -7),
      current_aligner: 3,
      current_aligner_started_on: addDays(today, -7),
    });
    // Out 600 minutes from noon on each of the 7 days: 840 worn (14 h), none at goal, no
    // streak; aligner 3 judged on those 7 days, 480 short each: 3360, 2.5 days of the
    // 1320 goal, rounded to 3 (also the cap).
    for (let day = -7; day < 0; day += 1) {
      const noon = DateTime.fromISO(`${addDays(today, day)}T12:00`, { zone });
      await createWearSession(app.deps.knex, {
        user_id: patient.user.id,
        started_at: noon.toJSDate(),
        ended_at: noon.plus({ minutes: 600 }).toJSDate(),
      });
    }
    const due = await dueRow(patient, 10);
    const bodies: unknown[] = [];
    const create = expectCreate(bodies, 'os-weekly');
    await sweep(app.deps.knex, app.deps.dispatcher, sweepSources, app.deps.logger, { graceMs: 0 });
    worker = await startTestWorker(app.config);
    const [sent] = await waitFor(
      () => weeklyOf(patient),
      (rows) => rows[0]!.status === 'scheduled' && rows.length === 2,
      15_000,
      'weekly summary scheduled',
    );
    create.done();
    expect(bodies).toEqual([
      expectedBody(
        patient,
        sent!,
        '14 h a day on average, goal met on 0 of 7 days. Aligner 3: 14 h a day so far; consider 3 more days before switching — check with your dentist',
      ),
    ]);
    expect(sent!.id).toBe(due.id);
  });
});

describe('weekly summary: opt-out and erasure', () => {
  it('is planned for a new profile, and withdrawn, never sent, once switched off', async () => {
    const sub = randomUUID();
    const email = `weekly-${sub}@example.com`;
    const created = await call(app, { base: `/auth/users/${sub}`, token: await tokenFor(sub) }, 'PUT', '', {
      email,
      timezone: 'Europe/Berlin',
    });
    expect(created.status).toBe(201);
    const user = (await app.deps.knex('users').where({ cognito_sub: sub }).first()) as Patient['user'];
    const patient: Patient = { user, token: await tokenFor(sub), base: `/auth/users/${sub}` };
    const [planned] = await weeklyOf(patient);
    expect(planned).toMatchObject({ status: 'pending' });
    expect(DateTime.fromJSDate(planned!.send_after, { zone: 'Europe/Berlin' }).toFormat('cccc HH:mm')).toBe(
      'Sunday 09:00',
    );
    const listed = await call(app, patient, 'GET', '/notifications?type=weekly_summary');
    expect(listed.body.items).toEqual([
      expect.objectContaining({ id: planned!.id, type: 'weekly_summary', week_of: planned!.week_of }),
    ]);

    const off = await call(app, patient, 'PUT', '/settings', { weekly_summary: false });
    expect(off.body).toMatchObject({ weekly_summary: false });
    expect((await call(app, patient, 'GET', '/settings')).body).toMatchObject({ weekly_summary: false });
    expect(await weeklyOf(patient)).toEqual([
      expect.objectContaining({ id: planned!.id, status: 'cancelled', status_reason: 'weekly_summary_off' }),
    ]);
    // Its job, if it ran, finds nothing to send; a zone change plans nothing either.
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1|localhost/);
    expect(await processScheduleReminder(fakeJob(planned!.id), workerContextFor(app))).toEqual({
      skipped: 'cancelled',
    });
    await call(app, patient, 'PUT', '', { email: patient.user.email, timezone: 'Asia/Tokyo' });
    expect(await weeklyOf(patient)).toHaveLength(1);

    // Switched on again: the next Sunday once more.
    await call(app, patient, 'PUT', '/settings', { weekly_summary: true });
    const rows = (await weeklyOf(patient)).sort((a, b) => a.created_at.getTime() - b.created_at.getTime());
    expect(rows.map((row) => row.status)).toEqual(['cancelled', 'pending']);
    expect(DateTime.fromJSDate(rows[1]!.send_after, { zone: 'Asia/Tokyo' }).toFormat('cccc HH:mm')).toBe(
      'Sunday 09:00',
    );
  });

  it('moves with the reminder time, keeping one live row per week', async () => {
    clockAt('2026-12-09T12:00:00Z'); // a Wednesday: both times on the same Sunday
    const patient = await newPatient(app);
    await call(app, patient, 'PUT', '/settings', {});
    await call(app, patient, 'PUT', '/settings', { reminder_time: '18:30' });
    await call(app, patient, 'PUT', '/settings', { reminder_time: '18:30' });
    const rows = await weeklyOf(patient);
    expect(rows.map((row) => [row.status, row.status_reason])).toEqual([
      ['cancelled', 'replanned'],
      ['pending', null],
    ]);
    expect(rows[0]!.week_of).toBe(rows[1]!.week_of);
    expect(DateTime.fromJSDate(rows[1]!.send_after, { zone: 'Europe/London' }).toFormat('cccc HH:mm')).toBe(
      'Sunday 18:30',
    );
  });

  it('is withdrawn at erasure, at OneSignal too when it holds it, and plans no next week', async () => {
    const patient = await newPatient(app);
    await call(app, patient, 'PUT', '/settings', {});
    const [pending] = await weeklyOf(patient);
    const scheduled = await createReminder(app.deps.knex, {
      user_id: patient.user.id,
      type: 'weekly_summary',
      aligner_number: null,
      week_of: addDays(pending!.week_of!, -7),
      status: 'scheduled',
      onesignal_id: 'os-weekly-held',
      schedule_sent_at: new Date(),
      send_after: new Date(Date.now() + 5 * 60_000),
    });
    expect((await call(app, patient, 'DELETE', '')).status).toBe(202);
    const cancel = nock(ONESIGNAL, { reqheaders: { authorization: `Key ${REST_KEY}` } })
      .delete('/notifications/os-weekly-held')
      .query({ app_id: APP_ID })
      .reply(200, { success: true });
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1|localhost/);
    // The erasure's reminder step, as the erase job runs it.
    await withdrawRemindersForErasure(patient.user.id, workerContextFor(app));
    cancel.done();
    const rows = await weeklyOf(patient);
    expect(rows.map((row) => [row.id, row.status, row.status_reason])).toEqual([
      [scheduled.id, 'cancelled', 'account_erased'],
      [pending!.id, 'cancelled', 'account_erased'],
    ]);
    expect(await processScheduleReminder(fakeJob(pending!.id), workerContextFor(app))).toEqual({
      skipped: 'cancelled',
    });
    expect(await weeklyOf(patient)).toHaveLength(2);
  });
});

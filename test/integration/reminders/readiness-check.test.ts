import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import nock from 'nock';
import type { Reminder } from '../../../src/reminders/model.js';
import { addDays, todayIn } from '../../../src/shared/time/local-time.js';
import { sweep } from '../../../src/worker/maintenance/sweep.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { createReminder, createTreatment, createWearSession } from '../../support/factories.js';
import { waitFor } from '../../support/jobs.js';
import { faithfulPatient, type Patient } from '../../support/wear-fixtures.js';
import { startTestWorker, sweepSources } from '../../support/worker.js';

// The readiness check of a progress reminder (docs/reminders.md#readiness-check): an hour
// before it is sent, the worker looks at how the current aligner was worn; with a deficit
// worth extra days, the reminder OneSignal holds is cancelled and replaced by one that
// says so, at the same time. Through the real sweep, worker and OneSignal calls (nock).

const ONESIGNAL = 'https://onesignal.test';
const APP_ID = 'app-0000-1111';
const REST_KEY = 'rest-key-secret';
const ZONE = 'Europe/Berlin';

let app: TestApp;
let worker: Awaited<ReturnType<typeof startTestWorker>> | undefined;
beforeAll(async () => {
  app = await startTestApp({
    env: { ONESIGNAL_APP_ID: APP_ID, ONESIGNAL_REST_API_KEY: REST_KEY, ONESIGNAL_API_URL: ONESIGNAL },
  });
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
  nock.cleanAll();
});
afterAll(() => app.close());

const today = () => todayIn(ZONE, new Date());

/**
 * A patient on aligner 5 for the last 10 days (tracked, in contact every day), out of
 * mouth `outMinutes` from noon every day, whose progress reminder for aligner 6 OneSignal holds
 * and will send `inMinutes` from now.
 */
async function patientAboutToSwitch(
  outMinutes: number,
  inMinutes = 40,
): Promise<{ patient: Patient; reminder: Reminder }> {
  const started = addDays(today(), -10);
  const patient = await faithfulPatient(app, ZONE, DateTime.fromISO(started, { zone: ZONE }).toJSDate());
  await createTreatment(app.deps.knex, {
    user_id: patient.user.id,
    started_on: started,
    current_aligner: 5,
    current_aligner_started_on: started,
  });
  for (let day = 0; day < 10; day += 1) {
    const noon = DateTime.fromISO(`${addDays(started, day)}T12:00`, { zone: ZONE });
    await createWearSession(app.deps.knex, {
      user_id: patient.user.id,
      started_at: noon.toJSDate(),
      ended_at: noon.plus({ minutes: outMinutes }).toJSDate(),
    });
  }
  const reminder = await createReminder(app.deps.knex, {
    user_id: patient.user.id,
    type: 'progress',
    aligner_number: 6,
    status: 'scheduled',
    onesignal_id: 'os-old',
    schedule_sent_at: new Date(Date.now() - 86_400_000),
    send_after: new Date(Date.now() + inMinutes * 60_000),
    updated_at: new Date(Date.now() - 86_400_000),
  });
  return { patient, reminder };
}

const remindersOf = (patient: Patient) =>
  app.deps.knex('reminders').where({ user_id: patient.user.id }).orderBy('created_at') as Promise<Reminder[]>;

async function sweepAndWork() {
  await sweep(app.deps.knex, app.deps.dispatcher, sweepSources, app.deps.logger);
  worker ??= await startTestWorker(app.config);
}

describe('readiness check of a progress reminder', () => {
  it('replaces the reminder of an aligner worn too little with one that suggests extra days', async () => {
    // 270 minutes out a day: 1170 minutes worn (19.5 h), 150 short of 1320; over the 10
    // complete days a deficit of 1500 minutes, 1.1 days of goal wear: 1 more day.
    const { patient, reminder } = await patientAboutToSwitch(270);
    const bodies: unknown[] = [];
    const cancel = nock(ONESIGNAL, { reqheaders: { authorization: `Key ${REST_KEY}` } })
      .delete('/notifications/os-old')
      .query({ app_id: APP_ID })
      .reply(200, { success: true });
    const create = nock(ONESIGNAL, { reqheaders: { authorization: `Key ${REST_KEY}` } })
      .post('/notifications', (body) => {
        bodies.push(body);
        return true;
      })
      .reply(200, { id: 'os-new' });

    await sweepAndWork();
    const [old, replacement] = await waitFor(
      () => remindersOf(patient),
      (rows) => rows.length === 2 && rows[0]!.status === 'cancelled' && rows[1]!.status === 'scheduled',
      15_000,
      'reminder replaced',
    );
    expect(old).toMatchObject({ id: reminder.id, status: 'cancelled', status_reason: 'wear_deficit' });
    expect(replacement).toMatchObject({
      type: 'progress',
      aligner_number: 6,
      send_after: reminder.send_after,
      suggested_extra_days: 1,
      average_wear_minutes: 1170,
      onesignal_id: 'os-new',
    });
    expect(replacement!.readiness_checked_at).not.toBeNull();
    expect(bodies).toEqual([
      {
        app_id: APP_ID,
        include_aliases: { external_id: [patient.user.cognito_sub] },
        target_channel: 'push',
        headings: { en: 'Progress Reminder' },
        contents: {
          en: 'You wore aligner 5 for 19.5 h a day on average; consider 1 more day before switching — check with your dentist',
        },
        send_after: reminder.send_after.toISOString(),
        data: { notification_id: replacement!.id, type: 'progress' },
        idempotency_key: replacement!.id,
      },
    ]);
    cancel.done();
    create.done();

    // Checked once: a later sweep finds nothing more to check.
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1|localhost/);
    await sweep(app.deps.knex, app.deps.dispatcher, sweepSources, app.deps.logger, { graceMs: 0 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await remindersOf(patient)).toHaveLength(2);
  });

  it('caps the suggestion at 3 days and says "days"', async () => {
    // 600 minutes out a day: 840 worn (14 h), 480 short; 4800 over 10 days: 3.6 days, capped at 3.
    const { patient } = await patientAboutToSwitch(600);
    const bodies: Array<{ contents: { en: string } }> = [];
    nock(ONESIGNAL).delete('/notifications/os-old').query(true).reply(200, { success: true });
    nock(ONESIGNAL)
      .post('/notifications', (body) => {
        bodies.push(body);
        return true;
      })
      .reply(200, { id: 'os-new' });
    await sweepAndWork();
    await waitFor(
      () => remindersOf(patient),
      (rows) => rows.length === 2 && rows[1]!.status === 'scheduled',
      15_000,
      'reminder replaced',
    );
    expect(bodies.map((body) => body.contents.en)).toEqual([
      'You wore aligner 5 for 14 h a day on average; consider 3 more days before switching — check with your dentist',
    ]);
  });

  it('leaves the reminder of an aligner worn as planned as OneSignal holds it, marked checked', async () => {
    const { patient, reminder } = await patientAboutToSwitch(60);
    await sweepAndWork();
    const [row] = await waitFor(
      () => remindersOf(patient),
      (rows) => rows[0]!.readiness_checked_at !== null,
      15_000,
      'reminder checked',
    );
    expect(row).toMatchObject({
      id: reminder.id,
      status: 'scheduled',
      onesignal_id: 'os-old',
      suggested_extra_days: null,
    });
    expect(await remindersOf(patient)).toHaveLength(1);
  });

  it('does not check a reminder more than an hour ahead, nor one about to go', async () => {
    const { patient: ahead } = await patientAboutToSwitch(600, 90);
    const { patient: late } = await patientAboutToSwitch(600, 5);
    await sweepAndWork();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (const patient of [ahead, late]) {
      const rows = await remindersOf(patient);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 'scheduled', readiness_checked_at: null });
    }
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { addDays, todayIn } from '../../../src/shared/time/local-time.js';
import { settledThrough } from '../../../src/wear/daily-rollup.js';
import { rollUpSweepSource } from '../../../src/wear/roll-up-job.js';
import { sweep } from '../../../src/worker/maintenance/sweep.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { createTreatment, createWearSession } from '../../support/factories.js';
import { waitFor } from '../../support/jobs.js';
import { call, faithfulPatient, type Patient } from '../../support/wear-fixtures.js';
import { startTestWorker, sweepSources } from '../../support/worker.js';

// The worker keeps the daily rollup (docs/decisions/012-wear-daily-rollups.md): the sweep
// finds users whose rollup is due, the job rolls them up, and a change to a rolled day
// (through the API, as the app makes it) moves the rollup back until it is rolled again.

const ZONE = 'America/New_York';

let app: TestApp;
let worker: Awaited<ReturnType<typeof startTestWorker>> | undefined;
beforeAll(async () => {
  app = await startTestApp();
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
});
afterAll(() => app.close());

const today = () => todayIn(ZONE, new Date());
const state = (patient: Patient) =>
  app.deps.knex('wear_rollup_states').where({ user_id: patient.user.id }).first();
const row = (patient: Patient, day: string) =>
  app.deps.knex('wear_daily_rollups').where({ user_id: patient.user.id, day }).first();

/** A patient tracked for 40 days, with a 90-minute session on the evening of `sessionDay`. */
async function trackedPatient(sessionDay: string) {
  const registeredAt = DateTime.fromISO(addDays(today(), -40), { zone: ZONE }).toJSDate();
  const patient = await faithfulPatient(app, ZONE, registeredAt);
  await createTreatment(app.deps.knex, { user_id: patient.user.id, started_on: addDays(today(), -40) });
  const started = DateTime.fromISO(`${sessionDay}T19:00`, { zone: ZONE });
  const session = await createWearSession(app.deps.knex, {
    user_id: patient.user.id,
    started_at: started.toJSDate(),
    ended_at: started.plus({ minutes: 90 }).toJSDate(),
  });
  return { patient, session };
}

async function sweepAndRoll(patient: Patient, rolledThrough: string | null) {
  await sweep(app.deps.knex, app.deps.dispatcher, sweepSources, app.deps.logger, { graceMs: 0 });
  worker ??= await startTestWorker(app.config);
  return waitFor(
    () => state(patient),
    (current) => current.rolled_through === rolledThrough,
    15_000,
    'rolled up',
  );
}

describe('daily rollup upkeep', () => {
  it('rolls a new user up to their last settled day, and is due again at the midnight that settles the next', async () => {
    const sessionDay = addDays(today(), -20);
    const { patient } = await trackedPatient(sessionDay);
    // A new user is due at once (their state row came with the user, by trigger).
    expect(await state(patient)).toMatchObject({ rolled_through: null });

    const last = settledThrough(today(), app.config.WEAR_SILENT_DAYS_ALLOWED);
    const rolled = await sweepAndRoll(patient, last);
    expect(rolled.due_at).toEqual(
      DateTime.fromISO(addDays(last, app.config.WEAR_SILENT_DAYS_ALLOWED + 3), { zone: ZONE }).toJSDate(),
    );
    const rows = await app.deps.knex('wear_daily_rollups').where({ user_id: patient.user.id }).orderBy('day');
    expect(rows.map((r) => r.day)).toEqual(
      Array.from({ length: 41 - (app.config.WEAR_SILENT_DAYS_ALLOWED + 2) }, (_, i) =>
        addDays(today(), -40 + i),
      ),
    );
    expect(await row(patient, sessionDay)).toMatchObject({
      out_minutes: 90,
      wear_minutes: 1350,
      confirmed: true,
    });
    // Not due again before then: even a catch-up sweep leaves the user alone.
    const due = await rollUpSweepSource.findActionable(app.deps.knex, {
      limit: 10_000,
      touchedBefore: new Date(),
    });
    expect(due.map((r) => r.rowId)).not.toContain(patient.user.id);
  });

  it('moves the rollup back when a past session is edited through the API, shows the edit at once, and rolls it again', async () => {
    const sessionDay = addDays(today(), -20);
    const { patient, session } = await trackedPatient(sessionDay);
    const last = settledThrough(today(), app.config.WEAR_SILENT_DAYS_ALLOWED);
    await sweepAndRoll(patient, last);

    const ended = DateTime.fromJSDate(session.started_at).plus({ minutes: 300 }).toISO();
    expect(
      (await call(app, patient, 'PATCH', `/wear-sessions/${session.id}`, { ended_at: ended })).status,
    ).toBe(200);
    expect(await state(patient)).toMatchObject({ rolled_through: addDays(sessionDay, -1) });
    const stats = await call(app, patient, 'GET', `/wear-stats?from=${sessionDay}&to=${sessionDay}`);
    expect(stats.body.days[0]).toMatchObject({ out_minutes: 300, wear_minutes: 1140 });

    await sweepAndRoll(patient, last);
    expect(await row(patient, sessionDay)).toMatchObject({ out_minutes: 300, wear_minutes: 1140 });
  });

  it('rolls every day again after a change of zone', async () => {
    const { patient } = await trackedPatient(addDays(today(), -10));
    const last = settledThrough(today(), app.config.WEAR_SILENT_DAYS_ALLOWED);
    await sweepAndRoll(patient, last);
    const put = await call(app, patient, 'PUT', '', {
      email: patient.user.email,
      timezone: 'Asia/Tokyo',
      locale: 'en-GB',
    });
    expect(put.status).toBe(200);
    expect(await state(patient)).toMatchObject({ rolled_through: null });
    const tokyoLast = settledThrough(todayIn('Asia/Tokyo', new Date()), app.config.WEAR_SILENT_DAYS_ALLOWED);
    await sweepAndRoll(patient, tokyoLast);
    const sessionRow = await app.deps
      .knex('wear_daily_rollups')
      .where({ user_id: patient.user.id })
      .where('out_minutes', '>', 0)
      .first();
    // 19:00 in New York is 09:00 the next day in Tokyo (08:00 or 09:00 with DST).
    expect(sessionRow).toMatchObject({ day: addDays(addDays(today(), -10), 1), out_minutes: 90 });
  });
});

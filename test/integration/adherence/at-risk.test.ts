import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { refreshAdherenceWindows } from '../../../src/adherence/refresh.js';
import { processRollUpWear } from '../../../src/wear/roll-up-job.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { createDentist, createTreatment, createWearSession } from '../../support/factories.js';
import { fakeJob } from '../../support/jobs.js';
import { faithfulPatient, inContact, newPatient, type Patient } from '../../support/wear-fixtures.js';
import { workerContextFor } from '../../support/worker.js';

// GET /internal/adherence/at-risk (docs/internal-api.md#at-risk): the patients of active
// treatments below a share of their goal over the last complete days, or whose app was
// silent all that time, worst first, from the windows the worker keeps. Hand-computed
// figures in Europe/London; the worker's refresh is run at chosen instants.

const ZONE = 'Europe/London';
const GOAL = 1320;
const at = (date: string, time = '12:00') => DateTime.fromISO(`${date}T${time}`, { zone: ZONE }).toJSDate();
/** Monday 16 November 2026, noon in London: the window of 7 days is 9–15 November. */
const NOW = at('2026-11-16');
const WEEK_LATER = at('2026-11-23');

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const internal = (path: string) =>
  app.request(path, { headers: { 'x-api-key': app.config.INTERNAL_API_KEYS[0]! } });
async function atRisk(query = '') {
  const response = await internal(`/internal/adherence/at-risk${query}`);
  return {
    status: response.status, // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by the tests
    body: (await response.json()) as any,
  };
}
const refresh = (patient: Patient, now: Date) =>
  refreshAdherenceWindows(app.deps.knex, patient.user.id, app.config.WEAR_SILENT_DAYS_ALLOWED, now);

/** Out of mouth `minutes` from noon on each day from `first` for `days` days. */
async function outEveryDay(patient: Patient, first: string, days: number, minutes: number) {
  for (let day = 0; day < days; day += 1) {
    const noon = DateTime.fromISO(`${first}T12:00`, { zone: ZONE }).plus({ days: day });
    await createWearSession(app.deps.knex, {
      user_id: patient.user.id,
      started_at: noon.toJSDate(),
      ended_at: noon.plus({ minutes }).toJSDate(),
    });
  }
}

/**
 * A patient registered on 1 October, in treatment since then (aligner 3 since 6 November),
 * their app in contact every day: out of mouth `outMinutes` a day over 9–15 November.
 */
async function patientWearing(
  outMinutes: number,
  status: 'active' | 'paused' | 'completed' = 'active',
): Promise<Patient> {
  const patient = await faithfulPatient(app, ZONE, at('2026-10-01', '00:00'));
  await createTreatment(app.deps.knex, {
    user_id: patient.user.id,
    status,
    started_on: '2026-10-01',
    current_aligner: 3,
    current_aligner_started_on: '2026-11-06',
    daily_wear_goal_minutes: GOAL,
  });
  await outEveryDay(patient, '2026-11-09', 7, outMinutes);
  return patient;
}

/** In treatment since 1 September, whose app was last in contact on 5 November. */
async function silentPatient(): Promise<Patient> {
  const patient = await newPatient(app, { timezone: ZONE, created_at: at('2026-09-01', '00:00') });
  await inContact(app, patient, '2026-09-01', '2026-11-05');
  await createTreatment(app.deps.knex, {
    user_id: patient.user.id,
    started_on: '2026-09-01',
    current_aligner: 3,
    current_aligner_started_on: '2026-11-06',
  });
  return patient;
}

describe('the at-risk list', () => {
  it('lists a silent patient and one under goal, worst first, with hand-computed figures; a patient at goal, a paused and a completed treatment are not listed; a week at goal takes one off', async () => {
    // 420 minutes out a day: 1020 worn, 77 % of 1320 (below 85 %).
    const under = await patientWearing(420);
    const atGoal = await patientWearing(60);
    const paused = await patientWearing(420, 'paused');
    const completed = await patientWearing(420, 'completed');
    const silent = await silentPatient();
    for (const patient of [under, atGoal, paused, completed, silent]) await refresh(patient, NOW);

    const first = await atRisk('?days=7&below_percent=85');
    expect(first.status).toBe(200);
    const listed = first.body.items.filter((item: { email: string }) =>
      [under, atGoal, paused, completed, silent].some((patient) => patient.user.email === item.email),
    );
    expect(listed).toEqual([
      {
        email: silent.user.email,
        dentist_id: null,
        app_silent: true,
        through: '2026-11-15',
        computed_at: NOW.toISOString(),
        days: 7,
        tracked_days: 7,
        // Silent since 6 November, far longer than the 2 days allowed: nothing is confirmed.
        average_wear_minutes: null,
        goal_minutes: GOAL,
        days_goal_met: 0,
        current_streak_days: 0,
        unconfirmed_days: 7,
        current_aligner: 3,
        current_aligner_wear: {
          days: 11,
          average_wear_minutes: null,
          goal_minutes: GOAL,
          deficit_minutes: 0,
          suggested_extra_days: 0,
        },
      },
      {
        email: under.user.email,
        dentist_id: null,
        app_silent: false,
        through: '2026-11-15',
        computed_at: NOW.toISOString(),
        days: 7,
        tracked_days: 7,
        average_wear_minutes: 1020,
        goal_minutes: GOAL,
        days_goal_met: 0,
        current_streak_days: 0,
        unconfirmed_days: 0,
        current_aligner: 3,
        // Aligner 3 since 6 November: 3 days of 1440 (120 over) and 7 of 1020 (300 under)
        // complete; 11,460 worn over 14,400 tracked minutes = 1146 a day; net deficit
        // 2100 − 360 = 1740, 1.3 days of goal wear: 1 more day.
        current_aligner_wear: {
          days: 11,
          average_wear_minutes: 1146,
          goal_minutes: GOAL,
          deficit_minutes: 1740,
          suggested_extra_days: 1,
        },
      },
    ]);

    // A week at goal (60 minutes out a day, 16–22 November): off the list.
    await outEveryDay(under, '2026-11-16', 7, 60);
    await refresh(under, WEEK_LATER);
    await refresh(silent, WEEK_LATER);
    const later = await atRisk('?days=7');
    const emails = later.body.items.map((item: { email: string }) => item.email);
    expect(emails).toContain(silent.user.email);
    expect(emails).not.toContain(under.user.email);
    // Over 14 days the bad week still weighs: (7 × 1020 + 7 × 1380) / 14 = 1200, 91 %.
    const fortnight = await atRisk('?days=14&below_percent=95');
    const underFortnight = fortnight.body.items.find(
      (item: { email: string }) => item.email === under.user.email,
    );
    expect(underFortnight).toMatchObject({ days: 14, tracked_days: 14, average_wear_minutes: 1200 });
  });

  it('pages worst first with a cursor that stays stable while patients are added', async () => {
    const dentist = await createDentist(app.deps.knex);
    // Each out a little longer: 300, 330, … 450 minutes a day (1140 … 990 worn); all below 90 %.
    const patients: Patient[] = [];
    for (let index = 0; index < 6; index += 1) {
      const patient = await patientWearing(300 + index * 30);
      await app.deps.knex('users').where({ id: patient.user.id }).update({ dentist_id: dentist.id });
      await refresh(patient, NOW);
      patients.push(patient);
    }
    const expected = [...patients].reverse().map((patient) => patient.user.email);
    const query = `?days=7&below_percent=90&dentist_id=${dentist.id}&limit=2`;
    const page1 = await atRisk(query);
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((item: { email: string }) => item.email)).toEqual(expected.slice(0, 2));
    expect(page1.body.items[0]).toMatchObject({ dentist_id: dentist.id, average_wear_minutes: 990 });

    // Two more of the dentist's patients: one worse than every row (before the cursor), one
    // between the rows still to come.
    const worse = await patientWearing(600);
    const between = await patientWearing(375);
    for (const patient of [worse, between]) {
      // The dentist is copied onto the windows written before the change, by trigger.
      await refresh(patient, NOW);
      await app.deps.knex('users').where({ id: patient.user.id }).update({ dentist_id: dentist.id });
    }
    const seen = [...page1.body.items];
    let cursor = page1.body.next_cursor as string | null;
    while (cursor) {
      const page = await atRisk(`${query}&cursor=${cursor}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.items);
      cursor = page.body.next_cursor;
    }
    const emails = seen.map((item: { email: string }) => item.email);
    // Nothing shown twice, nothing of the first listing skipped; the row inserted before
    // the cursor is not shown, the one after it is, in its place.
    expect(new Set(emails).size).toBe(emails.length);
    expect(emails.filter((email) => expected.includes(email))).toEqual(expected);
    expect(emails).not.toContain(worse.user.email);
    expect(emails.indexOf(between.user.email)).toBe(emails.indexOf(patients[3]!.user.email) + 1);

    // Another dentist's list is theirs alone.
    const other = await createDentist(app.deps.knex);
    expect((await atRisk(`?days=7&dentist_id=${other.id}`)).body).toEqual({ items: [], next_cursor: null });
  });

  it('is kept by the roll-up job, which removes the windows of a treatment no longer active', async () => {
    const patient = await patientWearing(420);
    const context = workerContextFor(app);
    await processRollUpWear(fakeJob(patient.user.id), context);
    const rows = () =>
      app.deps.knex('adherence_windows').where({ user_id: patient.user.id }).orderBy('window_days');
    expect((await rows()).map((row: { window_days: number }) => row.window_days)).toEqual([7, 14, 30]);
    await app.deps.knex('treatments').where({ user_id: patient.user.id }).update({ status: 'paused' });
    await processRollUpWear(fakeJob(patient.user.id), context);
    expect(await rows()).toEqual([]);
  });

  it('answers 401 without the key and 422 for a bad query, changing nothing', async () => {
    expect((await app.request('/internal/adherence/at-risk')).status).toBe(401);
    for (const query of [
      '?days=10',
      '?days=abc',
      '?below_percent=0',
      '?below_percent=101',
      '?limit=201',
      '?limit=0',
      '?dentist_id=-1',
      '?cursor=not-a-cursor',
      `?cursor=${Buffer.from(JSON.stringify(['x', 'y'])).toString('base64url')}`,
    ]) {
      const answer = await atRisk(query);
      expect({ query, status: answer.status, code: answer.body.code }).toEqual({
        query,
        status: 422,
        code: 'validation_failed',
      });
    }
  });
});

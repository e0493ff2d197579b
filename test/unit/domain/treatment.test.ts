import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import {
  applyExtension,
  deriveTreatment,
  isValidTimeZone,
  planAlignerChange,
  todayIn,
  type TreatmentPlan,
  type TreatmentResult,
} from '../../../src/treatment/plan-rules.js';
import { addDays } from '../../../src/shared/time/local-time.js';

// Aligner 5 of 20, ten days each: aligners 1–4 took 2026-01-01 … 2026-02-09.
const plan: TreatmentPlan = Object.freeze({
  status: 'active',
  total_aligners: 20,
  current_aligner: 5,
  change_interval_days: 10,
  started_on: '2026-01-01',
  current_aligner_started_on: '2026-02-10',
  daily_wear_goal_minutes: 1320,
  extension_days: 0,
});

function withPlan(changes: Partial<TreatmentPlan>): TreatmentPlan {
  return { ...plan, ...changes };
}

function expectPlan(result: TreatmentResult): TreatmentPlan {
  if (!result.ok) throw new Error(`expected a plan, got ${JSON.stringify(result.error)}`);
  return result.plan;
}

describe('deriveTreatment', () => {
  it('derives the next change, days left, progress and completion of an active plan', () => {
    expect(deriveTreatment(plan, '2026-02-15')).toEqual({
      next_change_on: '2026-02-20',
      days_left: 5,
      progress_percent: 22.5, // (4 aligners × 10 days + 5 days) / 200 days
      estimated_completion_on: '2026-07-20', // 2026-01-01 + 200 days
    });
  });

  it('counts extensions of the current aligner in every date and in its elapsed share', () => {
    expect(deriveTreatment(withPlan({ extension_days: 3 }), '2026-02-15')).toEqual({
      next_change_on: '2026-02-23',
      days_left: 8,
      progress_percent: 21.9, // (4 × 13 + 5) / (20 × 13) = 21.92…
      estimated_completion_on: '2026-07-23',
    });
  });

  it('gives 0 days left on the day of the change and when it is overdue', () => {
    expect(deriveTreatment(plan, '2026-02-20')).toMatchObject({ days_left: 0, progress_percent: 25 });
    expect(deriveTreatment(plan, '2026-03-05')).toMatchObject({
      next_change_on: '2026-02-20',
      days_left: 0,
      progress_percent: 25, // an overdue aligner counts as done, never more
    });
  });

  it('counts no elapsed time when today is before the aligner started', () => {
    expect(deriveTreatment(plan, '2026-02-05')).toMatchObject({ days_left: 15, progress_percent: 20 });
  });

  it('rounds progress down to one decimal, so 100 means done', () => {
    const thirds = withPlan({
      total_aligners: 3,
      change_interval_days: 7,
      current_aligner_started_on: '2026-03-01',
    });
    expect(deriveTreatment({ ...thirds, current_aligner: 2 }, '2026-03-01').progress_percent).toBe(33.3);
    expect(deriveTreatment({ ...thirds, current_aligner: 3 }, '2026-03-01').progress_percent).toBe(66.6);
    expect(deriveTreatment({ ...thirds, current_aligner: 3 }, '2026-03-07').progress_percent).toBe(95.2);
    expect(deriveTreatment({ ...thirds, current_aligner: 3 }, '2026-03-08').progress_percent).toBe(100);
    expect(deriveTreatment({ ...thirds, current_aligner: 1 }, '2026-03-01').progress_percent).toBe(0);
    const long = withPlan({ total_aligners: 100, current_aligner: 100, change_interval_days: 30 });
    // 2999 of 3000 days is 99.97 %: shown as 99.9, not rounded up to 100.
    expect(
      deriveTreatment({ ...long, current_aligner_started_on: '2026-03-01' }, '2026-03-30').progress_percent,
    ).toBe(99.9);
  });

  it('keeps the dates of a paused plan', () => {
    expect(deriveTreatment(withPlan({ status: 'paused' }), '2026-02-15')).toEqual(
      deriveTreatment(plan, '2026-02-15'),
    );
  });

  it('has no next change once completed, and its estimate is the end of the last aligner', () => {
    const completed = withPlan({
      status: 'completed',
      current_aligner: 20,
      current_aligner_started_on: '2026-07-10',
    });
    expect(deriveTreatment(completed, '2026-07-12')).toEqual({
      next_change_on: null,
      days_left: null,
      progress_percent: 100,
      estimated_completion_on: '2026-07-20',
    });
  });

  it('has no next change and no progress before it starts, but already an estimate', () => {
    const notStarted = withPlan({
      status: 'not_started',
      current_aligner: 1,
      started_on: '2026-03-01',
      current_aligner_started_on: '2026-03-01',
    });
    expect(deriveTreatment(notStarted, '2026-02-20')).toEqual({
      next_change_on: null,
      days_left: null,
      progress_percent: 0,
      estimated_completion_on: '2026-09-17', // 2026-03-01 + 200 days
    });
  });

  it('crosses year ends and leap days', () => {
    const december = withPlan({ current_aligner_started_on: '2026-12-25', change_interval_days: 14 });
    expect(deriveTreatment(december, '2026-12-26').next_change_on).toBe('2027-01-08');
    const leap = withPlan({ current_aligner_started_on: '2028-02-20' });
    expect(deriveTreatment(leap, '2028-02-21').next_change_on).toBe('2028-03-01');
  });

  it('keeps progress within 0–100, non-decreasing over time, and days left never negative', () => {
    const planArbitrary = fc
      .record({
        total_aligners: fc.integer({ min: 1, max: 100 }),
        change_interval_days: fc.integer({ min: 1, max: 30 }),
        extension_days: fc.integer({ min: 0, max: 90 }),
        status: fc.constantFrom('active' as const, 'paused' as const),
      })
      .chain((base) =>
        fc.record({
          base: fc.constant(base),
          current_aligner: fc.integer({ min: 1, max: base.total_aligners }),
          startOffset: fc.integer({ min: 0, max: 400 }),
          todayOffset: fc.integer({ min: -30, max: 400 }),
          step: fc.integer({ min: 0, max: 60 }),
        }),
      );
    fc.assert(
      fc.property(planArbitrary, ({ base, current_aligner, startOffset, todayOffset, step }) => {
        const start = addDays('2026-01-01', startOffset);
        const candidate = withPlan({ ...base, current_aligner, current_aligner_started_on: start });
        const today = addDays(start, todayOffset);
        const now = deriveTreatment(candidate, today);
        const later = deriveTreatment(candidate, addDays(today, step));
        expect(now.progress_percent).toBeGreaterThanOrEqual(0);
        expect(now.progress_percent).toBeLessThanOrEqual(100);
        expect(Math.round(now.progress_percent * 10)).toBe(now.progress_percent * 10);
        expect(later.progress_percent).toBeGreaterThanOrEqual(now.progress_percent);
        expect(now.days_left).toBeGreaterThanOrEqual(0);
        expect(now.next_change_on! <= now.estimated_completion_on!).toBe(true);
      }),
    );
  });
});

describe('planAlignerChange', () => {
  it('defaults to the next aligner, changed today, and resets the extensions', () => {
    const result = planAlignerChange(withPlan({ extension_days: 4 }), {}, '2026-02-21');
    expect(result).toEqual({
      ok: true,
      plan: { ...plan, current_aligner: 6, current_aligner_started_on: '2026-02-21', extension_days: 0 },
    });
    expect(deriveTreatment(expectPlan(result), '2026-02-21')).toMatchObject({
      next_change_on: '2026-03-03',
      days_left: 10,
      progress_percent: 25,
    });
  });

  it('records an explicit aligner and date', () => {
    const next = expectPlan(
      planAlignerChange(plan, { aligner_number: 7, changed_on: '2026-02-18' }, '2026-02-21'),
    );
    expect(next).toMatchObject({
      status: 'active',
      current_aligner: 7,
      current_aligner_started_on: '2026-02-18',
    });
  });

  it('accepts a change on the day the current aligner started, and on today', () => {
    expect(planAlignerChange(plan, { changed_on: '2026-02-10' }, '2026-02-21').ok).toBe(true);
    expect(planAlignerChange(plan, { changed_on: '2026-02-21' }, '2026-02-21').ok).toBe(true);
  });

  it('completes the treatment when switching to the last aligner', () => {
    const penultimate = withPlan({ current_aligner: 19, current_aligner_started_on: '2026-07-01' });
    const last = expectPlan(planAlignerChange(penultimate, {}, '2026-07-11'));
    expect(last).toMatchObject({
      status: 'completed',
      current_aligner: 20,
      current_aligner_started_on: '2026-07-11',
    });
    expect(deriveTreatment(last, '2026-07-11')).toEqual({
      next_change_on: null,
      days_left: null,
      progress_percent: 100,
      estimated_completion_on: '2026-07-21',
    });
    const jumped = expectPlan(planAlignerChange(plan, { aligner_number: 20 }, '2026-02-21'));
    expect(jumped.status).toBe('completed');
  });

  it('keeps a paused plan paused, unless the last aligner completes it', () => {
    const paused = withPlan({ status: 'paused' });
    expect(expectPlan(planAlignerChange(paused, {}, '2026-02-21')).status).toBe('paused');
    expect(expectPlan(planAlignerChange(paused, { aligner_number: 20 }, '2026-02-21')).status).toBe(
      'completed',
    );
  });

  it('lets a mistaken switch be undone: going back may carry an earlier date', () => {
    const back = expectPlan(
      planAlignerChange(plan, { aligner_number: 4, changed_on: '2026-01-31' }, '2026-02-12'),
    );
    expect(back).toMatchObject({ current_aligner: 4, current_aligner_started_on: '2026-01-31' });
    const corrected = expectPlan(
      planAlignerChange(plan, { aligner_number: 5, changed_on: '2026-02-08' }, '2026-02-12'),
    );
    expect(corrected).toMatchObject({ current_aligner: 5, current_aligner_started_on: '2026-02-08' });
  });

  it('does not modify the plan it is given', () => {
    const before = { ...plan };
    planAlignerChange(plan, {}, '2026-02-21');
    expect(plan).toEqual(before);
  });

  it.each([
    [{ aligner_number: 21 }, 'aligner_number', 'must be at most 20, the number of aligners'],
    [{ aligner_number: 0 }, 'aligner_number', 'must be a whole number of at least 1'],
    [{ aligner_number: -3 }, 'aligner_number', 'must be a whole number of at least 1'],
    [{ aligner_number: 6.5 }, 'aligner_number', 'must be a whole number of at least 1'],
    [{ changed_on: '2026-02-22' }, 'changed_on', 'must not be in the future'],
    [
      { changed_on: '2026-02-09' },
      'changed_on',
      'must not be before the current aligner started (2026-02-10)',
    ],
    [
      { aligner_number: 3, changed_on: '2025-12-31' },
      'changed_on',
      'must not be before the treatment started (2026-01-01)',
    ],
    [{ changed_on: '2026-02-30' }, 'changed_on', 'must be a date (YYYY-MM-DD)'],
    [{ changed_on: '21/02/2026' }, 'changed_on', 'must be a date (YYYY-MM-DD)'],
  ])('refuses %j (%s: %s)', (change, path, message) => {
    expect(planAlignerChange(plan, change, '2026-02-21')).toEqual({
      ok: false,
      error: { path, message, code: 'validation_failed' },
    });
  });

  it('refuses the default next aligner when the current one is already the last', () => {
    const onLast = withPlan({ current_aligner: 20, current_aligner_started_on: '2026-07-10' });
    expect(planAlignerChange(onLast, {}, '2026-07-21')).toEqual({
      ok: false,
      error: {
        path: 'aligner_number',
        message: 'must be at most 20, the number of aligners',
        code: 'validation_failed',
      },
    });
  });

  it.each([
    ['not_started' as const, 'the treatment has not started'],
    ['completed' as const, 'the treatment is completed'],
  ])('refuses any change while the treatment is %s', (status, message) => {
    expect(planAlignerChange(withPlan({ status }), { aligner_number: 6 }, '2026-02-21')).toEqual({
      ok: false,
      error: { path: '', message, code: 'treatment_not_active' },
    });
  });
});

describe('applyExtension', () => {
  it('pushes the next change and the completion back, and accumulates', () => {
    const once = expectPlan(applyExtension(plan, 3));
    const twice = expectPlan(applyExtension(once, 2));
    expect(once.extension_days).toBe(3);
    expect(twice).toEqual({ ...plan, extension_days: 5 });
    expect(deriveTreatment(twice, '2026-02-15')).toMatchObject({
      next_change_on: '2026-02-25',
      days_left: 10,
      estimated_completion_on: '2026-07-25',
    });
  });

  it('turns an overdue aligner into one with days left', () => {
    const extended = expectPlan(applyExtension(plan, 7));
    expect(deriveTreatment(plan, '2026-02-22').days_left).toBe(0);
    expect(deriveTreatment(extended, '2026-02-22')).toMatchObject({
      next_change_on: '2026-02-27',
      days_left: 5,
    });
  });

  it.each(['paused' as const, 'completed' as const, 'not_started' as const])(
    'refuses a %s treatment',
    (status) => {
      expect(applyExtension(withPlan({ status }), 3)).toEqual({
        ok: false,
        error: {
          path: '',
          message: `an extension needs an active treatment (it is ${status})`,
          code: 'treatment_not_active',
        },
      });
    },
  );

  it.each([0, -2, 1.5])('refuses %p days', (days) => {
    expect(applyExtension(plan, days)).toEqual({
      ok: false,
      error: { path: 'days', message: 'must be a whole number of at least 1', code: 'validation_failed' },
    });
  });
});

describe('isValidTimeZone', () => {
  it.each([
    'UTC',
    'Europe/London',
    'America/New_York',
    'Asia/Kathmandu',
    'America/Argentina/Buenos_Aires',
    'Etc/GMT+5',
  ])('accepts the IANA zone %s', (zone) => {
    expect(isValidTimeZone(zone)).toBe(true);
  });

  it.each([
    '',
    'local',
    'system',
    'Local',
    'UTC+1',
    'UTC+05:30',
    '+05:30',
    'Foo/Bar',
    'Europe/London ',
    ' UTC',
  ])('rejects %j', (zone) => {
    expect(isValidTimeZone(zone)).toBe(false);
  });
});

describe('todayIn', () => {
  it('is the local date in the user zone', () => {
    expect(todayIn('Australia/Sydney', new Date('2026-02-20T14:00:00.000Z'))).toBe('2026-02-21');
    expect(todayIn('America/New_York', new Date('2026-02-21T04:59:59.000Z'))).toBe('2026-02-20');
  });
});

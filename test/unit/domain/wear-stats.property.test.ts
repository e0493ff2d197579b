import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { DateTime } from 'luxon';

import { addDays, listLocalDates, maxDate, minDate, todayIn } from '../../../src/shared/time/local-time.js';
import {
  computeWearStats,
  type OutOfMouthSession,
  type WearDay,
  type WearStatsInput,
} from '../../../src/wear/stats-computation.js';

const MINUTE = 60_000;

const ZONES = [
  'UTC',
  'Europe/London',
  'America/New_York',
  'Australia/Sydney',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'America/St_Johns', // -03:30 / -02:30
  'Australia/Lord_Howe', // a 30-minute DST shift
  'Pacific/Chatham', // +12:45 / +13:45
  'America/Santiago', // DST starts at midnight
  'Pacific/Kiritimati', // UTC+14
];

// DST changes of 2026 in the zones above, where mistakes would show.
const TRANSITION_DAYS = [
  '2026-03-29',
  '2026-10-25',
  '2026-03-08',
  '2026-11-01',
  '2026-04-05',
  '2026-10-04',
  '2026-09-06',
  '2026-04-04',
  '2026-09-27',
];

const dateArbitrary = fc.oneof(
  fc.constantFrom(...TRANSITION_DAYS),
  fc.integer({ min: 0, max: 364 }).map((offset) => addDays('2026-01-01', offset)),
);

/** The local day's boundaries by another luxon path than the code under test (endOf instead of the next date). */
function referenceDay(date: string, zone: string): { start: number; end: number } {
  const start = DateTime.fromISO(date, { zone });
  return { start: start.toMillis(), end: start.endOf('day').toMillis() + 1 };
}

/** The tracked part of a day: from midnight or the start of tracking, up to its end or now. */
function referenceTrackedSpan(date: string, input: WearStatsInput): { start: number; end: number } {
  const day = referenceDay(date, input.zone);
  const start = Math.max(day.start, input.trackingStartsAt?.getTime() ?? day.start);
  return { start, end: Math.max(start, Math.min(day.end, input.now.getTime())) };
}

function referenceCountedMinutes(date: string, input: WearStatsInput): number {
  const { start, end } = referenceTrackedSpan(date, input);
  return Math.floor((end - start) / MINUTE);
}

/** Goal-meeting, confirmed days counted back from the last one; an unmet today is skipped, not a break. */
function referenceStreak(days: readonly WearDay[], today: string): number {
  const last = days.at(-1);
  const finished = last?.date === today && !last.goal_met ? days.slice(0, -1) : days;
  const lastMiss = finished.map((day) => day.goal_met && day.confirmed).lastIndexOf(false);
  return finished.length - 1 - lastMiss;
}

/** Unconfirmed: a silent past day, in a run of silent days longer than allowed (followed without bound). */
function referenceUnconfirmed(date: string, input: WearStatsInput, today: string): boolean {
  const trackingDay = DateTime.fromMillis(input.trackingStartsAt!.getTime(), {
    zone: input.zone,
  }).toISODate()!;
  const silent = (day: string) => day >= trackingDay && day < today && !input.contactDays.has(day);
  if (!silent(date)) return false;
  let run = 1;
  for (let day = addDays(date, -1); silent(day); day = addDays(day, -1)) run += 1;
  for (let day = addDays(date, 1); silent(day); day = addDays(day, 1)) run += 1;
  return run > input.silentDaysAllowed;
}

/** The first closed session cut in two at a whole minute inside it (`cut` picks which). */
function splitFirstClosedSession(sessions: readonly OutOfMouthSession[], cut: number): OutOfMouthSession[] {
  const index = sessions.findIndex((session) => session.ended_at !== null);
  const session = sessions[index];
  if (!session?.ended_at) return [...sessions];
  const minutes = (session.ended_at.getTime() - session.started_at.getTime()) / MINUTE;
  const middle = new Date(session.started_at.getTime() + (cut % (Math.max(0, minutes) + 1)) * MINUTE);
  return [
    ...sessions.slice(0, index),
    { started_at: session.started_at, ended_at: middle },
    { started_at: middle, ended_at: session.ended_at },
    ...sessions.slice(index + 1),
  ];
}

interface Scenario {
  input: WearStatsInput;
  /** Instants are multiples of a minute, so a minute-by-minute count is an exact oracle. */
  minuteAligned: boolean;
}

function sessionArbitrary(
  windowStart: number,
  windowEnd: number,
  minuteAligned: boolean,
): fc.Arbitrary<OutOfMouthSession> {
  const unit = minuteAligned ? MINUTE : 1;
  const instant = fc
    .integer({ min: Math.ceil(windowStart / unit), max: Math.floor(windowEnd / unit) })
    .map((value) => value * unit);
  const upTo = (minutes: number) =>
    fc.integer({ min: 0, max: (minutes * MINUTE) / unit }).map((value) => value * unit);
  // Mostly meal-sized breaks, sometimes sessions left out for days.
  const duration = fc.oneof({ arbitrary: upTo(180), weight: 4 }, { arbitrary: upTo(3 * 24 * 60), weight: 1 });
  // One session in ten is still open: it lasts until now.
  return fc
    .record({ start: instant, duration, open: fc.nat(9).map((roll) => roll === 0) })
    .map(({ start, duration, open }) => ({
      started_at: new Date(start),
      ended_at: open ? null : new Date(start + duration),
    }));
}

function scenarioArbitrary(minuteAligned: boolean, maxDays = 10): fc.Arbitrary<Scenario> {
  return fc
    .record({
      zone: fc.constantFrom(...ZONES),
      anchor: dateArbitrary,
      lead: fc.integer({ min: 0, max: 3 }),
      length: fc.integer({ min: 1, max: maxDays }),
      goalMinutes: fc.integer({ min: 60, max: 1440 }),
    })
    .chain(({ zone, anchor, lead, length, goalMinutes }) => {
      const from = addDays(anchor, -lead);
      const to = addDays(from, length - 1);
      const windowStart = referenceDay(addDays(from, -1), zone).start;
      const windowEnd = referenceDay(addDays(to, 1), zone).end;
      const rangeStart = referenceDay(from, zone).start;
      const rangeEnd = referenceDay(to, zone).end;
      return fc.record({
        minuteAligned: fc.constant(minuteAligned),
        input: fc.record({
          zone: fc.constant(zone),
          from: fc.constant(from),
          to: fc.constant(to),
          goalMinutes: fc.constant(goalMinutes),
          // Today falls inside the range half the time, after it otherwise.
          now: fc
            .oneof(
              fc.integer({ min: rangeStart, max: rangeEnd - 1 }),
              fc.integer({ min: rangeEnd, max: windowEnd + 2 * 24 * 60 * MINUTE }),
            )
            .map((instant) => new Date(instant)),
          // At a local midnight half the time, else at any minute of the day.
          trackingStartsAt: fc.option(
            fc
              .record({
                offset: fc.oneof(
                  { arbitrary: fc.integer({ min: -3, max: 0 }), weight: 3 },
                  { arbitrary: fc.integer({ min: 1, max: length + 2 }), weight: 1 },
                ),
                minute: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 24 * 60 - 1 })),
              })
              .map(
                ({ offset, minute }) =>
                  new Date(referenceDay(addDays(from, offset), zone).start + minute * MINUTE),
              ),
            { nil: null, freq: 12 },
          ),
          contactDays: fc
            .subarray(listLocalDates(addDays(from, -8), addDays(to, 8)))
            .map((dates) => new Set(dates)),
          silentDaysAllowed: fc.integer({ min: 0, max: 3 }),
          sessions: fc.array(sessionArbitrary(windowStart, windowEnd, minuteAligned), { maxLength: 8 }),
        }),
      });
    });
}

const anyScenario = fc.oneof(scenarioArbitrary(false), scenarioArbitrary(true));

describe('computeWearStats invariants', () => {
  it('splits every counted day exactly into out and wear minutes (up to now for today)', () => {
    fc.assert(
      fc.property(anyScenario, ({ input }) => {
        for (const day of computeWearStats(input).days) {
          const counted = referenceCountedMinutes(day.date, input);
          expect(day.tracked_minutes).toBe(counted);
          expect(day.out_minutes + day.wear_minutes).toBe(counted);
          expect(day.out_minutes).toBeGreaterThanOrEqual(0);
          expect(day.out_minutes).toBeLessThanOrEqual(counted);
          expect(Number.isInteger(day.out_minutes)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reports each day from tracking start (or from) to today (or to), in order, without gaps', () => {
    fc.assert(
      fc.property(anyScenario, ({ input }) => {
        const today = todayIn(input.zone, input.now);
        const trackingDay =
          input.trackingStartsAt &&
          DateTime.fromMillis(input.trackingStartsAt.getTime(), { zone: input.zone }).toISODate()!;
        const expected = trackingDay
          ? listLocalDates(maxDate(input.from, trackingDay), minDate(input.to, today))
          : [];
        expect(computeWearStats(input).days.map((day) => day.date)).toEqual(expected);
      }),
    );
  });

  it('gives a range the same days as computing them one by one', () => {
    fc.assert(
      fc.property(anyScenario, ({ input }) => {
        const whole = computeWearStats(input).days;
        const oneByOne = whole.flatMap(
          (day) => computeWearStats({ ...input, from: day.date, to: day.date }).days,
        );
        expect(oneByOne).toEqual(whole);
        const totalOut = (days: typeof whole) => days.reduce((sum, day) => sum + day.out_minutes, 0);
        expect(totalOut(oneByOne)).toBe(totalOut(whole));
      }),
    );
  });

  it('counts exactly the minutes covered by at least one session (brute-force oracle)', () => {
    fc.assert(
      fc.property(scenarioArbitrary(true, 4), ({ input }) => {
        const nowMinute = Math.floor(input.now.getTime() / MINUTE);
        const spans = input.sessions.map((session) => ({
          start: session.started_at.getTime() / MINUTE,
          end: session.ended_at ? session.ended_at.getTime() / MINUTE : nowMinute,
        }));
        for (const day of computeWearStats(input).days) {
          const { start, end } = referenceTrackedSpan(day.date, input);
          let covered = 0;
          for (let minute = start / MINUTE; minute < Math.min(end / MINUTE, nowMinute); minute += 1) {
            if (spans.some((span) => span.start <= minute && minute < span.end)) covered += 1;
          }
          expect(day.out_minutes).toBe(covered);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('does not depend on the order of sessions, nor on a session being split in two', () => {
    fc.assert(
      fc.property(
        scenarioArbitrary(true),
        fc.nat(),
        fc.integer({ min: 0, max: 4000 }),
        ({ input }, seed, cut) => {
          const expected = computeWearStats(input);
          const reversed = [...input.sessions].reverse();
          const turn = seed % Math.max(1, reversed.length);
          const shuffled = [...reversed.slice(turn), ...reversed.slice(0, turn)];
          expect(computeWearStats({ ...input, sessions: shuffled })).toEqual(expected);
          const split = splitFirstClosedSession(input.sessions, cut);
          expect(computeWearStats({ ...input, sessions: split })).toEqual(expected);
        },
      ),
    );
  });

  it('meets the goal exactly when wear reaches it, and summarises the complete days', () => {
    fc.assert(
      fc.property(anyScenario, ({ input }) => {
        const { days, summary } = computeWearStats(input);
        const today = todayIn(input.zone, input.now);
        for (const day of days) {
          expect(day.goal_met).toBe(day.wear_minutes >= day.goal_minutes);
          expect(day.goal_minutes).toBeLessThanOrEqual(input.goalMinutes);
        }
        const counted = days.filter((day) => day.date < today && day.confirmed);
        const tracked = counted.reduce((sum, day) => sum + day.tracked_minutes, 0);
        const worn = counted.reduce((sum, day) => sum + day.wear_minutes, 0);
        expect(summary.average_wear_minutes).toBe(tracked === 0 ? null : Math.round((worn * 1440) / tracked));
        expect(summary.current_streak_days).toBe(referenceStreak(days, today));
        expect(summary.tracked_days).toBe(days.filter((day) => day.tracked_minutes > 0).length);
        expect(summary.unconfirmed_days).toBe(days.filter((day) => !day.confirmed).length);
      }),
    );
  });

  it('leaves unconfirmed exactly the silent past days of a silence longer than allowed (brute-force oracle)', () => {
    fc.assert(
      fc.property(anyScenario, ({ input }) => {
        const today = todayIn(input.zone, input.now);
        for (const day of computeWearStats(input).days)
          expect(day.confirmed).toBe(!referenceUnconfirmed(day.date, input, today));
      }),
    );
  });
});

import { describe, expect, it } from '@jest/globals';

import {
  computeWearStats,
  currentStreakDays,
  listLocalDates,
  localDayBounds,
  MAX_STATS_RANGE_DAYS,
  trackingStart,
  unconfirmedDates,
  validateStatsRange,
  type OutOfMouthSession,
  type WearDay,
  type WearStats,
  type WearStatsInput,
} from '../../../src/wear/stats-computation.js';

const LATER = new Date('2027-01-01T00:00:00.000Z');
/** The app in contact every day: what most cases assume, so that every day is confirmed. */
const EVERY_DAY = new Set(listLocalDates('2025-12-01', '2027-12-31'));

function out(startedAt: string, endedAt: string | null): OutOfMouthSession {
  return { started_at: new Date(startedAt), ended_at: endedAt === null ? null : new Date(endedAt) };
}

function stats(input: Partial<WearStatsInput> & Pick<WearStatsInput, 'from' | 'to'>): WearStats {
  return computeWearStats({
    sessions: [],
    zone: 'UTC',
    now: LATER,
    goalMinutes: 1320,
    trackingStartsAt: new Date('2026-01-01T00:00:00Z'),
    contactDays: EVERY_DAY,
    silentDaysAllowed: 2,
    ...input,
  });
}

/** `[date, out_minutes, wear_minutes]` of each day, the shape most assertions care about. */
function minutes(result: WearStats): Array<[string, number, number]> {
  return result.days.map((day) => [day.date, day.out_minutes, day.wear_minutes]);
}

function day(date: string, outMinutes: number, wearMinutes: number, goal = 1320, confirmed = true): WearDay {
  return {
    date,
    tracked_minutes: outMinutes + wearMinutes,
    out_minutes: outMinutes,
    wear_minutes: wearMinutes,
    goal_minutes: goal,
    goal_met: wearMinutes >= goal,
    confirmed,
  };
}

describe('computeWearStats: days are local calendar days', () => {
  it('returns the exact shape of docs/resources.md#wear-stats', () => {
    expect(
      stats({
        from: '2026-05-01',
        to: '2026-05-02',
        sessions: [out('2026-05-01T12:00Z', '2026-05-01T13:30Z')],
      }),
    ).toEqual({
      days: [
        {
          date: '2026-05-01',
          tracked_minutes: 1440,
          out_minutes: 90,
          wear_minutes: 1350,
          goal_minutes: 1320,
          goal_met: true,
          confirmed: true,
        },
        {
          date: '2026-05-02',
          tracked_minutes: 1440,
          out_minutes: 0,
          wear_minutes: 1440,
          goal_minutes: 1320,
          goal_met: true,
          confirmed: true,
        },
      ],
      summary: { average_wear_minutes: 1395, current_streak_days: 2, tracked_days: 2, unconfirmed_days: 0 },
    });
  });

  it.each([
    ['Europe/London', '2026-03-29', 1380],
    ['Europe/London', '2026-10-25', 1500],
    ['America/New_York', '2026-03-08', 1380],
    ['America/New_York', '2026-11-01', 1500],
    ['Australia/Sydney', '2026-04-05', 1500],
    ['Australia/Sydney', '2026-10-04', 1380],
    ['Asia/Kolkata', '2026-06-15', 1440],
    ['Asia/Kathmandu', '2026-06-15', 1440],
  ])('in %s, %s lasts %i minutes and is fully worn without sessions', (zone, date, length) => {
    expect(minutes(stats({ zone, from: date, to: date }))).toEqual([[date, 0, length]]);
  });

  it('splits a session across the short spring-forward night in London', () => {
    // 23:30 GMT on the 28th to 03:00 BST on the 29th: 30 minutes, then 2 hours.
    const result = stats({
      zone: 'Europe/London',
      from: '2026-03-28',
      to: '2026-03-30',
      sessions: [out('2026-03-28T23:30Z', '2026-03-29T02:00Z')],
    });
    expect(minutes(result)).toEqual([
      ['2026-03-28', 30, 1410],
      ['2026-03-29', 120, 1260],
      ['2026-03-30', 0, 1440],
    ]);
  });

  it('counts the repeated hour of the autumn night in London', () => {
    // 00:30 BST to 01:30 GMT is two hours although the clock moved one.
    const result = stats({
      zone: 'Europe/London',
      from: '2026-10-25',
      to: '2026-10-25',
      sessions: [out('2026-10-24T23:30Z', '2026-10-25T01:30Z')],
    });
    expect(minutes(result)).toEqual([['2026-10-25', 120, 1380]]);
  });

  it('cuts New York days at the local midnight on both sides of each change', () => {
    const result = stats({
      zone: 'America/New_York',
      from: '2026-03-07',
      to: '2026-03-08',
      // 23:00 EST on the 7th to 04:00 EDT on the 8th: 60 minutes, then 3 hours (02:00 does not exist).
      sessions: [out('2026-03-08T04:00Z', '2026-03-08T08:00Z')],
    });
    expect(minutes(result)).toEqual([
      ['2026-03-07', 60, 1380],
      ['2026-03-08', 180, 1200],
    ]);
    const autumn = stats({
      zone: 'America/New_York',
      from: '2026-10-31',
      to: '2026-11-01',
      // 23:30 EDT on the 31st to 01:30 EST on the 1st: 30 minutes, then 2 h 30.
      sessions: [out('2026-11-01T03:30Z', '2026-11-01T06:30Z')],
    });
    expect(minutes(autumn)).toEqual([
      ['2026-10-31', 30, 1410],
      ['2026-11-01', 150, 1350],
    ]);
  });

  it('cuts Sydney days where the southern summer time starts and ends', () => {
    const result = stats({
      zone: 'Australia/Sydney',
      from: '2026-04-04',
      to: '2026-04-05',
      // 23:00 AEDT on the 4th to 02:30 AEST on the 5th (after 03:00 AEDT became 02:00 AEST).
      sessions: [out('2026-04-04T12:00Z', '2026-04-04T16:30Z')],
    });
    expect(minutes(result)).toEqual([
      ['2026-04-04', 60, 1380],
      ['2026-04-05', 210, 1290],
    ]);
    const spring = stats({
      zone: 'Australia/Sydney',
      from: '2026-10-04',
      to: '2026-10-04',
      sessions: [out('2026-10-03T15:00Z', '2026-10-03T17:00Z')], // 01:00 AEST to 04:00 AEDT
    });
    expect(minutes(spring)).toEqual([['2026-10-04', 120, 1260]]);
  });

  it('cuts Kolkata days at 18:30 UTC', () => {
    const result = stats({
      zone: 'Asia/Kolkata',
      from: '2026-06-14',
      to: '2026-06-15',
      sessions: [out('2026-06-14T18:00Z', '2026-06-14T19:00Z')], // 23:30 to 00:30 IST
    });
    expect(minutes(result)).toEqual([
      ['2026-06-14', 30, 1410],
      ['2026-06-15', 30, 1410],
    ]);
  });

  it('cuts Kathmandu days at 18:15 UTC', () => {
    const result = stats({
      zone: 'Asia/Kathmandu',
      from: '2026-06-14',
      to: '2026-06-15',
      sessions: [out('2026-06-14T18:00Z', '2026-06-14T18:20Z')], // 23:45 to 00:05 NPT
    });
    expect(minutes(result)).toEqual([
      ['2026-06-14', 15, 1425],
      ['2026-06-15', 5, 1435],
    ]);
  });

  it('gives the same session to a different day in another zone', () => {
    const session = [out('2026-06-14T20:00Z', '2026-06-14T21:00Z')];
    const range = { from: '2026-06-14', to: '2026-06-15', sessions: session };
    expect(minutes(stats({ ...range, zone: 'UTC' }))).toEqual([
      ['2026-06-14', 60, 1380],
      ['2026-06-15', 0, 1440],
    ]);
    expect(minutes(stats({ ...range, zone: 'Asia/Kathmandu' }))).toEqual([
      ['2026-06-14', 0, 1440],
      ['2026-06-15', 60, 1380],
    ]);
  });
});

describe('computeWearStats: sessions', () => {
  it('counts a session crossing several midnights on each day it touches', () => {
    const result = stats({
      from: '2026-05-01',
      to: '2026-05-05',
      sessions: [out('2026-05-01T22:00Z', '2026-05-04T01:00Z')],
    });
    expect(minutes(result)).toEqual([
      ['2026-05-01', 120, 1320],
      ['2026-05-02', 1440, 0],
      ['2026-05-03', 1440, 0],
      ['2026-05-04', 60, 1380],
      ['2026-05-05', 0, 1440],
    ]);
  });

  it('adds up several sessions of one day', () => {
    const result = stats({
      from: '2026-05-01',
      to: '2026-05-01',
      sessions: [
        out('2026-05-01T07:00Z', '2026-05-01T07:25Z'),
        out('2026-05-01T12:10Z', '2026-05-01T12:55Z'),
        out('2026-05-01T19:00Z', '2026-05-01T19:40Z'),
      ],
    });
    expect(minutes(result)).toEqual([['2026-05-01', 110, 1330]]);
  });

  it('never counts overlapping or duplicated sessions twice, whatever their order', () => {
    const result = stats({
      from: '2026-05-01',
      to: '2026-05-01',
      sessions: [
        out('2026-05-01T10:30Z', '2026-05-01T11:30Z'),
        out('2026-05-01T10:00Z', '2026-05-01T11:00Z'),
        out('2026-05-01T10:00Z', '2026-05-01T11:00Z'),
        out('2026-05-01T10:40Z', '2026-05-01T10:50Z'),
        out('2026-05-01T11:30Z', '2026-05-01T12:00Z'),
      ],
    });
    expect(minutes(result)).toEqual([['2026-05-01', 120, 1320]]);
  });

  it('ignores sessions outside the range and ones that end before they start', () => {
    const result = stats({
      from: '2026-05-02',
      to: '2026-05-02',
      sessions: [
        out('2026-05-01T10:00Z', '2026-05-01T11:00Z'),
        out('2026-05-03T10:00Z', '2026-05-03T11:00Z'),
        out('2026-05-02T10:00Z', '2026-05-02T09:00Z'),
      ],
    });
    expect(minutes(result)).toEqual([['2026-05-02', 0, 1440]]);
  });

  it('snaps instants to the nearest minute', () => {
    const result = stats({
      from: '2026-05-01',
      to: '2026-05-01',
      sessions: [
        out('2026-05-01T10:00:20Z', '2026-05-01T10:30:40Z'),
        out('2026-05-01T12:00:10Z', '2026-05-01T12:00:25Z'),
      ],
    });
    expect(minutes(result)).toEqual([['2026-05-01', 31, 1409]]);
  });
});

describe('computeWearStats: today and the future', () => {
  const now = new Date('2026-05-10T12:00:40.000Z');

  it('counts today up to now in whole minutes and omits the days after it', () => {
    const result = stats({
      now,
      from: '2026-05-09',
      to: '2026-05-20',
      sessions: [out('2026-05-10T07:00Z', '2026-05-10T07:30Z')],
    });
    expect(minutes(result)).toEqual([
      ['2026-05-09', 0, 1440],
      ['2026-05-10', 30, 690],
    ]);
  });

  it('counts an open session up to now', () => {
    const result = stats({
      now,
      from: '2026-05-10',
      to: '2026-05-10',
      sessions: [out('2026-05-10T11:15Z', null)],
    });
    expect(minutes(result)).toEqual([['2026-05-10', 45, 675]]);
  });

  it('counts an open session started yesterday on both days', () => {
    const result = stats({
      now,
      from: '2026-05-09',
      to: '2026-05-10',
      sessions: [out('2026-05-09T23:00Z', null)],
    });
    expect(minutes(result)).toEqual([
      ['2026-05-09', 60, 1380],
      ['2026-05-10', 720, 0],
    ]);
  });

  it('uses the user zone to decide which day is today', () => {
    // 12:00 UTC is already the 11th in Kiritimati (UTC+14): the 10th is complete there.
    const result = stats({ now, zone: 'Pacific/Kiritimati', from: '2026-05-10', to: '2026-05-12' });
    expect(minutes(result)).toEqual([
      ['2026-05-10', 0, 1440],
      ['2026-05-11', 0, 120],
    ]);
  });

  it('has no day at all when the range is entirely in the future', () => {
    expect(stats({ now, from: '2026-05-11', to: '2026-05-12' })).toEqual({
      days: [],
      summary: { average_wear_minutes: null, current_streak_days: 0, tracked_days: 0, unconfirmed_days: 0 },
    });
  });

  it('marks today as met only once the goal is reached', () => {
    const evening = new Date('2026-05-10T23:00:00.000Z');
    expect(stats({ now: evening, from: '2026-05-10', to: '2026-05-10' }).days).toEqual([
      day('2026-05-10', 0, 1380),
    ]);
    const result = stats({ now: new Date('2026-05-10T21:59:00.000Z'), from: '2026-05-10', to: '2026-05-10' });
    expect(result.days).toEqual([day('2026-05-10', 0, 1319)]);
    expect(result.days[0]?.goal_met).toBe(false);
  });
});

describe('computeWearStats: tracking start', () => {
  it('omits the days before tracking began', () => {
    const result = stats({
      from: '2026-05-01',
      to: '2026-05-04',
      trackingStartsAt: new Date('2026-05-03T00:00Z'),
      sessions: [
        out('2026-05-02T10:00Z', '2026-05-02T11:00Z'),
        out('2026-05-03T10:00Z', '2026-05-03T11:00Z'),
      ],
    });
    expect(minutes(result)).toEqual([
      ['2026-05-03', 60, 1380],
      ['2026-05-04', 0, 1440],
    ]);
    expect(result.summary).toEqual({
      average_wear_minutes: 1410,
      current_streak_days: 2,
      tracked_days: 2,
      unconfirmed_days: 0,
    });
  });

  it('counts the first day from the instant tracking began, with the goal pro-rated', () => {
    // Registered at 06:51 on day 23 of a treatment: nothing before it is wear.
    const result = stats({
      from: '2026-11-10',
      to: '2026-12-03',
      now: new Date('2026-12-03T12:00Z'),
      trackingStartsAt: new Date('2026-12-03T06:51Z'),
      sessions: [out('2026-12-03T08:00Z', '2026-12-03T08:30Z')],
    });
    expect(result.days).toEqual([
      {
        date: '2026-12-03',
        tracked_minutes: 309, // 06:51 to 12:00
        out_minutes: 30,
        wear_minutes: 279,
        goal_minutes: 943, // 1320 × (17 h 09 min of the day after 06:51) / 24 h
        goal_met: false,
        confirmed: true,
      },
    ]);
    expect(result.summary).toEqual({
      average_wear_minutes: null,
      current_streak_days: 0,
      tracked_days: 1,
      unconfirmed_days: 0,
    });
  });

  it('averages over tracked time: a part-tracked day weighs what it was tracked', () => {
    const result = stats({
      from: '2026-05-01',
      to: '2026-05-02',
      now: new Date('2026-05-03T10:00Z'),
      trackingStartsAt: new Date('2026-05-01T12:00Z'),
      sessions: [
        out('2026-05-01T13:00Z', '2026-05-01T14:00Z'),
        out('2026-05-02T10:00Z', '2026-05-02T12:00Z'),
      ],
    });
    expect(result.days.map((d) => [d.tracked_minutes, d.wear_minutes, d.goal_minutes])).toEqual([
      [720, 660, 660],
      [1440, 1320, 1320],
    ]);
    // (660 + 1320) wear over (720 + 1440) tracked, per 24 h: 1320.
    expect(result.summary.average_wear_minutes).toBe(1320);
    expect(result.summary.current_streak_days).toBe(2);
  });

  it('counts nothing when tracking has not begun', () => {
    expect(stats({ from: '2026-05-01', to: '2026-05-04', trackingStartsAt: null })).toEqual({
      days: [],
      summary: { average_wear_minutes: null, current_streak_days: 0, tracked_days: 0, unconfirmed_days: 0 },
    });
  });

  it('counts nothing when tracking begins after the range', () => {
    expect(
      stats({ from: '2026-05-01', to: '2026-05-04', trackingStartsAt: new Date('2026-05-05T00:00Z') }).days,
    ).toEqual([]);
  });
});

describe('computeWearStats: app silence', () => {
  const contacts = (...dates: string[]) => new Set(dates);

  it('trusts a silence of up to the allowed days, and not a longer one', () => {
    const result = stats({
      from: '2026-05-01',
      to: '2026-05-10',
      now: new Date('2026-05-10T12:00Z'),
      trackingStartsAt: new Date('2026-05-01T00:00Z'),
      // Silent on the 2nd–3rd (2 days: trusted) and the 5th–7th (3 days: not).
      contactDays: contacts('2026-05-01', '2026-05-04', '2026-05-08', '2026-05-09'),
    });
    expect(result.days.filter((d) => !d.confirmed).map((d) => d.date)).toEqual([
      '2026-05-05',
      '2026-05-06',
      '2026-05-07',
    ]);
    expect(result.summary.unconfirmed_days).toBe(3);
    // The streak runs back from today to the end of the silence: the 10th (met? not yet), 9th, 8th.
    expect(result.summary.current_streak_days).toBe(2);
    // The average leaves the unconfirmed days out: 6 full days, all worn.
    expect(result.summary.average_wear_minutes).toBe(1440);
  });

  it('never counts today as silent, nor a silence before tracking began', () => {
    const result = stats({
      from: '2026-05-01',
      to: '2026-05-04',
      now: new Date('2026-05-04T12:00Z'),
      trackingStartsAt: new Date('2026-05-02T09:00Z'),
      contactDays: contacts(),
    });
    // The 2nd and 3rd are silent, two days: trusted; the 4th is today.
    expect(result.days.map((d) => [d.date, d.confirmed])).toEqual([
      ['2026-05-02', true],
      ['2026-05-03', true],
      ['2026-05-04', true],
    ]);
  });

  it('follows a silence beyond the requested range', () => {
    const result = stats({
      from: '2026-05-05',
      to: '2026-05-05',
      trackingStartsAt: new Date('2026-05-01T00:00Z'),
      contactDays: contacts('2026-05-01', '2026-05-07'),
    });
    expect(result.days.map((d) => d.confirmed)).toEqual([false]);
  });

  it('with no silence allowed, marks every silent past day', () => {
    expect(
      unconfirmedDates(['2026-05-02', '2026-05-03'], contacts('2026-05-03'), 0, {
        trackingStartsOn: '2026-05-01',
        today: '2026-05-10',
      }),
    ).toEqual(new Set(['2026-05-02']));
  });
});

describe('computeWearStats: goal', () => {
  it('is met at exactly the goal and missed one minute short', () => {
    const result = stats({
      from: '2026-05-01',
      to: '2026-05-02',
      sessions: [
        out('2026-05-01T10:00Z', '2026-05-01T12:00Z'),
        out('2026-05-02T10:00Z', '2026-05-02T12:01Z'),
      ],
    });
    expect(result.days).toEqual([day('2026-05-01', 120, 1320), day('2026-05-02', 121, 1319)]);
    expect(result.days.map((entry) => entry.goal_met)).toEqual([true, false]);
  });

  it('caps a goal longer than the day, so a fully worn 23 h day meets a 24 h goal', () => {
    const result = stats({ zone: 'Europe/London', goalMinutes: 1440, from: '2026-03-28', to: '2026-03-29' });
    expect(result.days).toEqual([day('2026-03-28', 0, 1440, 1440), day('2026-03-29', 0, 1380, 1380)]);
  });

  it('keeps the goal as set on a 25 h day', () => {
    const result = stats({ zone: 'Europe/London', goalMinutes: 1440, from: '2026-10-25', to: '2026-10-25' });
    expect(result.days).toEqual([day('2026-10-25', 0, 1500, 1440)]);
  });
});

describe('computeWearStats: summary', () => {
  const now = new Date('2026-05-10T12:00:00.000Z');
  // Out for 3 h on the 6th (goal missed), 1 h on the 7th–9th, and 2 h so far today.
  const sessions = [
    out('2026-05-06T10:00Z', '2026-05-06T13:00Z'),
    out('2026-05-07T10:00Z', '2026-05-07T11:00Z'),
    out('2026-05-08T10:00Z', '2026-05-08T11:00Z'),
    out('2026-05-09T10:00Z', '2026-05-09T11:00Z'),
    out('2026-05-10T09:00Z', '2026-05-10T11:00Z'),
  ];

  it('averages the complete days only and counts the streak back from yesterday', () => {
    const result = stats({ now, sessions, from: '2026-05-05', to: '2026-05-10' });
    expect(minutes(result)).toEqual([
      ['2026-05-05', 0, 1440],
      ['2026-05-06', 180, 1260],
      ['2026-05-07', 60, 1380],
      ['2026-05-08', 60, 1380],
      ['2026-05-09', 60, 1380],
      ['2026-05-10', 120, 600],
    ]);
    // (1440 + 1260 + 3 × 1380) / 5 = 1368; today's 600 is left out.
    expect(result.summary).toEqual({
      average_wear_minutes: 1368,
      current_streak_days: 3,
      tracked_days: 6,
      unconfirmed_days: 0,
    });
  });

  it('rounds the average to the nearest minute', () => {
    const result = stats({
      from: '2026-05-01',
      to: '2026-05-03',
      sessions: [
        out('2026-05-01T10:00Z', '2026-05-01T10:01Z'),
        out('2026-05-02T10:00Z', '2026-05-02T10:01Z'),
      ],
    });
    expect(result.summary.average_wear_minutes).toBe(1439); // 4318 / 3 = 1439.33
  });

  it('counts today in the streak once its goal is met', () => {
    const evening = new Date('2026-05-10T23:30:00.000Z');
    const shortToday = [...sessions.slice(0, -1), out('2026-05-10T09:00Z', '2026-05-10T10:00Z')];
    const early = stats({ now, sessions: shortToday, from: '2026-05-05', to: '2026-05-10' });
    expect(early.days.at(-1)).toEqual(day('2026-05-10', 60, 660));
    expect(early.summary.current_streak_days).toBe(3);
    const result = stats({ now: evening, sessions: shortToday, from: '2026-05-05', to: '2026-05-10' });
    expect(result.days.at(-1)).toEqual(day('2026-05-10', 60, 1350));
    expect(result.summary.current_streak_days).toBe(4);
  });

  it('has no average when only today is in range, but today may start a streak', () => {
    const result = stats({ now: new Date('2026-05-10T23:00Z'), from: '2026-05-10', to: '2026-05-10' });
    expect(result.summary).toEqual({
      average_wear_minutes: null,
      current_streak_days: 1,
      tracked_days: 1,
      unconfirmed_days: 0,
    });
  });

  it('only sees the streak inside the requested range', () => {
    const result = stats({ now, sessions, from: '2026-05-08', to: '2026-05-10' });
    expect(result.summary.current_streak_days).toBe(2);
  });

  it('counts the streak back from the end of a range in the past', () => {
    const result = stats({ now, sessions, from: '2026-05-01', to: '2026-05-06' });
    expect(result.summary.current_streak_days).toBe(0);
    expect(stats({ now, sessions, from: '2026-05-01', to: '2026-05-05' }).summary.current_streak_days).toBe(
      5,
    );
  });
});

describe('currentStreakDays', () => {
  const met = (date: string): WearDay => day(date, 0, 1440);
  const missed = (date: string): WearDay => day(date, 300, 1140);

  it.each([
    [[], 0],
    [[met('2026-05-08'), met('2026-05-09')], 2],
    [[met('2026-05-08'), met('2026-05-09'), missed('2026-05-10')], 2],
    [[met('2026-05-08'), met('2026-05-09'), met('2026-05-10')], 3],
    [[met('2026-05-08'), missed('2026-05-09'), missed('2026-05-10')], 0],
    [[met('2026-05-07'), missed('2026-05-08'), met('2026-05-09'), met('2026-05-10')], 2],
    [[missed('2026-05-10')], 0],
  ])('over %j is %i (today is 2026-05-10)', (days, streak) => {
    expect(currentStreakDays(days, '2026-05-10')).toBe(streak);
  });
});

describe('trackingStart', () => {
  const at = (iso: string) => new Date(iso);

  it('is the earlier of registration and the first session, never before the treatment began', () => {
    const registeredAt = at('2026-05-05T06:51Z');
    expect(
      trackingStart({ treatmentStartedOn: '2026-05-01', registeredAt, firstSessionStartedAt: null }, 'UTC'),
    ).toEqual(registeredAt);
    expect(
      trackingStart(
        { treatmentStartedOn: '2026-05-01', registeredAt, firstSessionStartedAt: at('2026-05-04T20:00Z') },
        'UTC',
      ),
    ).toEqual(at('2026-05-04T20:00Z'));
    expect(
      trackingStart(
        { treatmentStartedOn: '2026-05-04', registeredAt, firstSessionStartedAt: at('2026-05-02T20:00Z') },
        'UTC',
      ),
    ).toEqual(at('2026-05-04T00:00Z'));
    expect(
      trackingStart({ treatmentStartedOn: '2026-05-10', registeredAt, firstSessionStartedAt: null }, 'UTC'),
    ).toEqual(at('2026-05-10T00:00Z'));
  });

  it('starts nothing without a treatment or a session', () => {
    expect(
      trackingStart(
        { treatmentStartedOn: null, registeredAt: at('2026-05-05T06:51Z'), firstSessionStartedAt: null },
        'UTC',
      ),
    ).toBeNull();
    expect(
      trackingStart(
        {
          treatmentStartedOn: null,
          registeredAt: at('2026-05-05T06:51Z'),
          firstSessionStartedAt: at('2026-05-06T10:00Z'),
        },
        'UTC',
      ),
    ).toEqual(at('2026-05-05T06:51Z'));
  });

  it("takes the treatment's first day at the user's local midnight", () => {
    expect(
      trackingStart(
        {
          treatmentStartedOn: '2026-05-04',
          registeredAt: at('2026-05-01T00:00Z'),
          firstSessionStartedAt: null,
        },
        'Asia/Kathmandu',
      ),
    ).toEqual(at('2026-05-03T18:15Z'));
  });
});

describe('validateStatsRange', () => {
  it.each([
    ['2026-05-01', '2026-05-01'],
    ['2026-05-01', '2026-05-31'],
    ['2024-01-01', '2024-12-31'], // 366 days, a leap year
    ['2026-01-01', '2027-01-01'], // 366 days
  ])('accepts %s … %s', (from, to) => {
    expect(validateStatsRange(from, to)).toBeNull();
  });

  it.each([
    ['2026-05-02', '2026-05-01', 'to must not be before from'],
    ['2026-01-01', '2027-01-02', 'the range must not exceed 366 days'],
    ['2020-01-01', '2030-01-01', 'the range must not exceed 366 days'],
    ['2026-02-30', '2026-03-01', 'from must be a date (YYYY-MM-DD)'],
    ['2026-5-1', '2026-05-02', 'from must be a date (YYYY-MM-DD)'],
    ['2026-05-01', '', 'to must be a date (YYYY-MM-DD)'],
    ['2026-05-01', '2026-05-02T00:00:00Z', 'to must be a date (YYYY-MM-DD)'],
  ])('refuses %j … %j: %s', (from, to, message) => {
    expect(validateStatsRange(from, to)).toBe(message);
  });

  it('allows as many days as docs/resources.md#wear-stats', () => {
    expect(MAX_STATS_RANGE_DAYS).toBe(366);
  });
});

describe('re-exported calendar helpers', () => {
  it('are the local-time ones', () => {
    expect(listLocalDates('2026-05-01', '2026-05-02')).toEqual(['2026-05-01', '2026-05-02']);
    expect(localDayBounds('2026-03-29', 'Europe/London').end.toISOString()).toBe('2026-03-29T23:00:00.000Z');
  });
});

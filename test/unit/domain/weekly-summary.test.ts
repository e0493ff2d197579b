import { describe, expect, it } from '@jest/globals';
import { reminderMessage, weeklySummaryMessage } from '../../../src/reminders/messages.js';
import {
  DEFAULT_REMINDER_SETTINGS,
  handOverAt,
  planWeeklySummary,
  WEEKLY_SUMMARY_LEAD_MINUTES,
} from '../../../src/reminders/planning.js';

// 29 March 2026 is a Sunday on which both zones move their clocks: London from GMT to
// BST (01:00 → 02:00), Berlin from CET to CEST (02:00 → 03:00).
const settings = DEFAULT_REMINDER_SETTINGS;
const plan = (zone: string, now: string, reminder_time = '09:00', weekly_summary = true) =>
  planWeeklySummary({ settings: { ...settings, reminder_time, weekly_summary }, zone, now: new Date(now) });

describe('planWeeklySummary', () => {
  it("is at reminder_time on the next Sunday, in the zone's offset of that day", () => {
    expect(plan('Europe/London', '2026-03-25T12:00:00Z')).toEqual({
      send_after: new Date('2026-03-29T08:00:00Z'),
      week_of: '2026-03-29',
    });
    expect(plan('Europe/Berlin', '2026-03-25T12:00:00Z')).toEqual({
      send_after: new Date('2026-03-29T07:00:00Z'),
      week_of: '2026-03-29',
    });
    // The Sunday before the change: still winter time.
    expect(plan('Europe/London', '2026-03-18T12:00:00Z')?.send_after).toEqual(
      new Date('2026-03-22T09:00:00Z'),
    );
    expect(plan('Europe/Berlin', '2026-03-18T12:00:00Z')?.send_after).toEqual(
      new Date('2026-03-22T08:00:00Z'),
    );
  });

  it("reads the day in the user's zone: Saturday night in UTC is Sunday in Berlin", () => {
    // 23:30 UTC on Saturday is 00:30 on Sunday in Berlin: today's 09:00 is ahead.
    expect(plan('Europe/Berlin', '2026-03-28T23:30:00Z')).toEqual({
      send_after: new Date('2026-03-29T07:00:00Z'),
      week_of: '2026-03-29',
    });
    expect(plan('Europe/London', '2026-03-28T23:30:00Z')?.week_of).toBe('2026-03-29');
  });

  it(`moves to the next Sunday within ${WEEKLY_SUMMARY_LEAD_MINUTES} minutes of the send, and after it`, () => {
    expect(plan('Europe/London', '2026-03-29T07:44:00Z')?.week_of).toBe('2026-03-29');
    expect(plan('Europe/London', '2026-03-29T07:45:00Z')).toEqual({
      send_after: new Date('2026-04-05T08:00:00Z'),
      week_of: '2026-04-05',
    });
    expect(plan('Europe/London', '2026-03-29T12:00:00Z')?.week_of).toBe('2026-04-05');
  });

  it('moves a local time the jump skips forward by the gap', () => {
    // 01:30 does not exist in London on 29 March: 02:30 BST, 01:30 UTC.
    expect(plan('Europe/London', '2026-03-25T12:00:00Z', '01:30')?.send_after).toEqual(
      new Date('2026-03-29T01:30:00Z'),
    );
    // Nor 02:30 in Berlin: 03:30 CEST, 01:30 UTC.
    expect(plan('Europe/Berlin', '2026-03-25T12:00:00Z', '02:30')?.send_after).toEqual(
      new Date('2026-03-29T01:30:00Z'),
    );
  });

  it('plans nothing when the push is off', () => {
    expect(plan('Europe/London', '2026-03-25T12:00:00Z', '09:00', false)).toBeNull();
  });
});

describe('handOverAt for a weekly summary', () => {
  it(`is ${WEEKLY_SUMMARY_LEAD_MINUTES} minutes before the send, or now when that has passed`, () => {
    const sendAfter = new Date('2026-03-29T08:00:00Z');
    expect(handOverAt(sendAfter, new Date('2026-03-25T12:00:00Z'), 'weekly_summary')).toEqual(
      new Date('2026-03-29T07:45:00Z'),
    );
    const late = new Date('2026-03-29T07:50:00Z');
    expect(handOverAt(sendAfter, late, 'weekly_summary')).toEqual(late);
  });
});

describe('weeklySummaryMessage', () => {
  const week = {
    tracked_days: 7,
    average_wear_minutes: 1290,
    days_goal_met: 5,
    current_streak_days: 12,
    aligner: { number: 5, average_wear_minutes: 1300, suggested_extra_days: 0 },
  };

  it('states the average, the days at goal, the streak and the aligner on track', () => {
    expect(
      reminderMessage({
        ...week,
        type: 'weekly_summary',
        aligner_number: null,
        suggested_extra_days: null,
        summary: week,
      }),
    ).toEqual({
      heading: 'Your week',
      message: '21.5 h a day on average, goal met on 5 of 7 days, 12-day streak. Aligner 5: on track',
    });
  });

  it("suggests extra days when the current aligner's deficit does", () => {
    expect(
      weeklySummaryMessage({
        ...week,
        aligner: { number: 5, average_wear_minutes: 1170, suggested_extra_days: 2 },
      }),
    ).toBe(
      '21.5 h a day on average, goal met on 5 of 7 days, 12-day streak. Aligner 5: 19.5 h a day so far; consider 2 more days before switching — check with your dentist',
    );
    expect(
      weeklySummaryMessage({
        ...week,
        aligner: { number: 2, average_wear_minutes: 1200, suggested_extra_days: 1 },
      }),
    ).toContain('Aligner 2: 20 h a day so far; consider 1 more day before switching');
  });

  it('leaves out what has no figure: no treatment, no streak, no complete day', () => {
    expect(weeklySummaryMessage({ ...week, aligner: null })).toBe(
      '21.5 h a day on average, goal met on 5 of 7 days, 12-day streak.',
    );
    expect(
      weeklySummaryMessage({
        tracked_days: 1,
        average_wear_minutes: null,
        days_goal_met: 0,
        current_streak_days: 0,
        aligner: null,
      }),
    ).toBe('Goal met on 0 of 1 day.');
  });
});

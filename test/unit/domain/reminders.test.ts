import { describe, expect, it } from '@jest/globals';
import {
  DEFAULT_REMINDER_SETTINGS,
  handOverAt,
  planProgressReminder,
  planWearReminder,
} from '../../../src/reminders/planning.js';
import { reminderMessage } from '../../../src/reminders/messages.js';

const base = {
  status: 'active' as const,
  current_aligner: 3,
  total_aligners: 20,
  next_change_on: '2026-03-29',
  settings: DEFAULT_REMINDER_SETTINGS,
  zone: 'Europe/London',
  now: new Date('2026-03-20T12:00:00Z'),
};

describe('planProgressReminder', () => {
  it('is at reminder_time local on next_change_on, for the next aligner', () => {
    // 29 March 2026 is the day London moves to BST: 09:00 local is 08:00 UTC.
    expect(planProgressReminder(base)).toEqual({
      send_after: new Date('2026-03-29T08:00:00Z'),
      aligner_number: 4,
    });
    expect(planProgressReminder({ ...base, next_change_on: '2026-03-28' })?.send_after).toEqual(
      new Date('2026-03-28T09:00:00Z'),
    );
  });

  it('follows the zone: New York across its DST change, Kathmandu at +05:45', () => {
    const early = { ...base, now: new Date('2026-03-01T00:00:00Z') };
    expect(
      planProgressReminder({ ...early, zone: 'America/New_York', next_change_on: '2026-03-07' })?.send_after,
    ).toEqual(new Date('2026-03-07T14:00:00Z'));
    expect(
      planProgressReminder({ ...early, zone: 'America/New_York', next_change_on: '2026-03-09' })?.send_after,
    ).toEqual(new Date('2026-03-09T13:00:00Z'));
    expect(planProgressReminder({ ...base, zone: 'Asia/Kathmandu' })?.send_after).toEqual(
      new Date('2026-03-29T03:15:00Z'),
    );
  });

  it('moves a local time skipped by the DST jump forward by the gap', () => {
    const settings = { ...DEFAULT_REMINDER_SETTINGS, reminder_time: '01:30' };
    // 01:30 does not exist in London on 29 March 2026; clocks read 02:30 BST = 01:30 UTC.
    expect(planProgressReminder({ ...base, settings })?.send_after).toEqual(new Date('2026-03-29T01:30:00Z'));
  });

  it.each([
    ['the treatment is paused', { status: 'paused' as const }],
    ['the treatment is completed', { status: 'completed' as const }],
    ['the treatment has not started', { status: 'not_started' as const }],
    ['progress reminders are off', { settings: { ...DEFAULT_REMINDER_SETTINGS, progress_reminders: false } }],
    ['there is no next change', { next_change_on: null }],
    ['its time has passed', { now: new Date('2026-03-29T08:00:00Z') }],
    ['the current aligner is the last', { current_aligner: 20 }],
  ])('is none when %s', (_case, change) => {
    expect(planProgressReminder({ ...base, ...change })).toBeNull();
  });
});

describe('planWearReminder', () => {
  const session = { started_at: new Date('2026-06-01T12:00:00Z'), ended_at: null };
  const now = new Date('2026-06-01T12:05:00Z');

  it('is wear_reminder_after_minutes after the start of an open session', () => {
    expect(planWearReminder({ session, settings: DEFAULT_REMINDER_SETTINGS, now })).toEqual({
      send_after: new Date('2026-06-01T12:30:00Z'),
    });
    const settings = { ...DEFAULT_REMINDER_SETTINGS, wear_reminder_after_minutes: 5 };
    expect(
      planWearReminder({ session, settings, now: new Date('2026-06-01T12:04:00Z') })?.send_after,
    ).toEqual(new Date('2026-06-01T12:05:00Z'));
  });

  it('is none for an ended session, with the setting off, or once its time has passed', () => {
    expect(
      planWearReminder({ session: { ...session, ended_at: now }, settings: DEFAULT_REMINDER_SETTINGS, now }),
    ).toBeNull();
    expect(
      planWearReminder({ session, settings: { ...DEFAULT_REMINDER_SETTINGS, wear_reminders: false }, now }),
    ).toBeNull();
    expect(
      planWearReminder({
        session,
        settings: DEFAULT_REMINDER_SETTINGS,
        now: new Date('2026-06-01T12:30:00Z'),
      }),
    ).toBeNull();
  });
});

describe('handOverAt', () => {
  it('is now within 30 days, and 30 days before the reminder beyond that', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(handOverAt(new Date('2026-01-20T00:00:00Z'), now, 'progress')).toEqual(now);
    expect(handOverAt(new Date('2026-03-02T00:00:00Z'), now, 'progress')).toEqual(
      new Date('2026-01-31T00:00:00Z'),
    );
  });
});

describe('reminderMessage', () => {
  const progress = {
    type: 'progress' as const,
    aligner_number: 6,
    suggested_extra_days: null,
    average_wear_minutes: null,
  };

  it('says which aligner to switch to when the readiness check found no deficit', () => {
    expect(reminderMessage(progress)).toEqual({
      heading: 'Progress Reminder',
      message: 'Today is the day to switch to aligner 6',
    });
    expect(
      reminderMessage({ ...progress, suggested_extra_days: 0, average_wear_minutes: 1300 }).message,
    ).toBe('Today is the day to switch to aligner 6');
  });

  it('states the average wear of the current aligner and the extra days, in hours to one decimal', () => {
    expect(
      reminderMessage({ ...progress, suggested_extra_days: 2, average_wear_minutes: 1170 }).message,
    ).toBe(
      'You wore aligner 5 for 19.5 h a day on average; consider 2 more days before switching — check with your dentist',
    );
    expect(
      reminderMessage({ ...progress, suggested_extra_days: 1, average_wear_minutes: 1200 }).message,
    ).toBe(
      'You wore aligner 5 for 20 h a day on average; consider 1 more day before switching — check with your dentist',
    );
    // 1163 minutes is 19.38 h: rounded to 19.4.
    expect(
      reminderMessage({ ...progress, suggested_extra_days: 3, average_wear_minutes: 1163 }).message,
    ).toContain('for 19.4 h a day');
  });

  it('keeps the wear reminder as it was', () => {
    expect(
      reminderMessage({
        type: 'wear',
        aligner_number: null,
        suggested_extra_days: null,
        average_wear_minutes: null,
      }),
    ).toEqual({ heading: 'Wear Reminder', message: 'Time to put your aligners back in' });
  });
});

import { DateTime } from 'luxon';
import type { LocalDate } from '../shared/time/local-time.js';
import type { TreatmentStatus } from '../treatment/plan-rules.js';
import type { ReminderType } from './model.js';

/**
 * Which reminders should exist, decided from the treatment, the settings and the
 * sessions (docs/reminders.md#reminder-rows). Pure: the caller compares the answer with the rows it has.
 */

export interface ReminderSettings {
  progress_reminders: boolean;
  /** "HH:MM", local to the user's zone */
  reminder_time: string;
  wear_reminders: boolean;
  wear_reminder_after_minutes: number;
  /** The Sunday push summing up the week (docs/reminders.md#weekly-summary). */
  weekly_summary: boolean;
}

export const DEFAULT_REMINDER_SETTINGS: ReminderSettings = {
  progress_reminders: true,
  reminder_time: '09:00',
  wear_reminders: true,
  wear_reminder_after_minutes: 30,
  weekly_summary: true,
};

/** OneSignal accepts send_after at most 30 days ahead; later ones wait for the window. */
export const ONESIGNAL_HORIZON_DAYS = 30;

export interface ProgressReminderPlan {
  send_after: Date;
  aligner_number: number;
}

/**
 * The progress reminder: at `reminder_time` local on `next_change_on`, for the next
 * aligner. None when the treatment is not active, the setting is off, there is no next
 * change, or its time has passed. A local time that a DST jump skips (01:30 on a
 * spring-forward night) moves forward by the gap, as clocks do.
 */
export function planProgressReminder(input: {
  status: TreatmentStatus;
  current_aligner: number;
  total_aligners: number;
  next_change_on: LocalDate | null;
  settings: ReminderSettings;
  zone: string;
  now: Date;
}): ProgressReminderPlan | null {
  const { status, next_change_on, settings } = input;
  if (status !== 'active' || !settings.progress_reminders || next_change_on === null) return null;
  if (input.current_aligner >= input.total_aligners) return null;
  const sendAfter = DateTime.fromISO(`${next_change_on}T${settings.reminder_time}`, { zone: input.zone });
  if (!sendAfter.isValid || sendAfter.toMillis() <= input.now.getTime()) return null;
  return { send_after: sendAfter.toJSDate(), aligner_number: input.current_aligner + 1 };
}

/** The wear reminder: `wear_reminder_after_minutes` after an open session started, if still ahead. */
export function planWearReminder(input: {
  session: { started_at: Date; ended_at: Date | null };
  settings: ReminderSettings;
  now: Date;
}): { send_after: Date } | null {
  const { session, settings } = input;
  if (!settings.wear_reminders || session.ended_at !== null) return null;
  const sendAfter = new Date(session.started_at.getTime() + settings.wear_reminder_after_minutes * 60_000);
  return sendAfter.getTime() > input.now.getTime() ? { send_after: sendAfter } : null;
}

/**
 * How long before a progress reminder is sent its readiness check is made: late enough
 * that the aligner's last complete day counts, early enough for a replacement to reach
 * OneSignal. Closer than the minimum, the reminder is left as it is (docs/reminders.md#readiness-check).
 */
export const READINESS_CHECK_LEAD_MINUTES = 60;
export const READINESS_CHECK_MIN_LEAD_MINUTES = 10;

/**
 * How long before a weekly summary is sent it is handed to OneSignal, its figures fixed:
 * late enough that its week is (nearly always) over, early enough for retries. Within
 * it, a row is no longer re-planned (docs/reminders.md#weekly-summary).
 */
export const WEEKLY_SUMMARY_LEAD_MINUTES = 15;
const WEEKLY_LEAD_MS = WEEKLY_SUMMARY_LEAD_MINUTES * 60_000;

export interface WeeklySummaryPlan {
  send_after: Date;
  /** The local Sunday it is sent on; it sums up the 7 days before. */
  week_of: LocalDate;
}

/**
 * The weekly summary: at `reminder_time` local on the first Sunday for which that is
 * more than the lead away. None when the setting is off. A local time skipped by a DST
 * jump moves forward by the gap, as for progress reminders.
 */
export function planWeeklySummary(input: {
  settings: Pick<ReminderSettings, 'weekly_summary' | 'reminder_time'>;
  zone: string;
  now: Date;
}): WeeklySummaryPlan | null {
  if (!input.settings.weekly_summary) return null;
  const today = DateTime.fromJSDate(input.now, { zone: input.zone }).startOf('day');
  const firstSunday = today.plus({ days: (7 - today.weekday) % 7 });
  for (let week = 0; week < 3; week += 1) {
    const sunday = firstSunday.plus({ weeks: week }).toISODate()!;
    const sendAfter = DateTime.fromISO(`${sunday}T${input.settings.reminder_time}`, { zone: input.zone });
    if (sendAfter.isValid && sendAfter.toMillis() > input.now.getTime() + WEEKLY_LEAD_MS)
      return { send_after: sendAfter.toJSDate(), week_of: sunday };
  }
  return null;
}

/**
 * When the schedule job may hand a reminder to OneSignal: now, or 30 days before it is
 * due; a weekly summary only at its lead, once its week's figures are known.
 */
export function handOverAt(sendAfter: Date, now: Date, type: ReminderType): Date {
  const earliest =
    type === 'weekly_summary'
      ? sendAfter.getTime() - WEEKLY_LEAD_MS
      : sendAfter.getTime() - ONESIGNAL_HORIZON_DAYS * 24 * 3600_000;
  return new Date(Math.max(earliest, now.getTime()));
}

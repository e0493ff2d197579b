import { addDays, daysBetween, isLocalDate, type LocalDate } from '../shared/time/local-time.js';

// One implementation of the zone check for the whole service: the profile schema uses it too.
export { isValidTimeZone } from '../shared/time/time-zone.js';
export { todayIn } from '../shared/time/local-time.js';

export type TreatmentStatus = 'not_started' | 'active' | 'paused' | 'completed';

export interface TreatmentPlan {
  status: TreatmentStatus;
  total_aligners: number;
  current_aligner: number;
  change_interval_days: number;
  started_on: LocalDate;
  current_aligner_started_on: LocalDate;
  daily_wear_goal_minutes: number;
  /** Sum of the extensions applied to the current aligner; a change of aligner resets it. */
  extension_days: number;
}

export interface DerivedTreatment {
  next_change_on: LocalDate | null;
  /** Days until `next_change_on`; 0 once it is due or overdue; null when there is no next change. */
  days_left: number | null;
  /** 0–100, rounded down to one decimal so that 100 is never shown before the last aligner is done. */
  progress_percent: number;
  estimated_completion_on: LocalDate | null;
}

export interface TreatmentError {
  /** The request field at fault; '' when the treatment's state, not a field, forbids the operation. */
  path: string;
  message: string;
  /** `treatment_not_active` lets the route answer 409 where the request itself was well formed. */
  code: 'validation_failed' | 'treatment_not_active';
}

export type TreatmentResult = { ok: true; plan: TreatmentPlan } | { ok: false; error: TreatmentError };

export interface AlignerChange {
  aligner_number?: number;
  changed_on?: LocalDate;
}

const PERCENT_TENTHS = 1000;

/** Days the current aligner is worn for, extensions included. */
function currentAlignerDays(plan: TreatmentPlan): number {
  return plan.change_interval_days + plan.extension_days;
}

function endOfCurrentAligner(plan: TreatmentPlan): LocalDate {
  return addDays(plan.current_aligner_started_on, currentAlignerDays(plan));
}

function estimatedCompletion(plan: TreatmentPlan): LocalDate {
  const alignersAfterCurrent = Math.max(0, plan.total_aligners - plan.current_aligner);
  return addDays(endOfCurrentAligner(plan), alignersAfterCurrent * plan.change_interval_days);
}

/**
 * Completed aligners plus the elapsed share of the current one. Integer arithmetic
 * in tenths of a percent, rounded down, keeps the result exact (no 33.300000000000004).
 */
function progressPercent(plan: TreatmentPlan, today: LocalDate): number {
  if (plan.status === 'completed') return 100;
  if (plan.status === 'not_started') return 0;
  const alignerDays = currentAlignerDays(plan);
  const elapsedDays = clamp(daysBetween(plan.current_aligner_started_on, today), 0, alignerDays);
  const doneDays = (plan.current_aligner - 1) * alignerDays + elapsedDays;
  const tenths = Math.floor((PERCENT_TENTHS * doneDays) / (plan.total_aligners * alignerDays));
  return clamp(tenths, 0, PERCENT_TENTHS) / 10;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/**
 * The fields GET /treatment computes from the stored plan. `today` is the user's
 * local date (see `todayIn`). A paused plan keeps its dates: the plan records no
 * pause instants to shift them by, and the app shows the status next to them;
 * reminders are suppressed for paused plans elsewhere.
 */
export function deriveTreatment(plan: TreatmentPlan, today: LocalDate): DerivedTreatment {
  const progress_percent = progressPercent(plan, today);
  const estimated_completion_on = estimatedCompletion(plan);
  if (plan.status === 'not_started' || plan.status === 'completed') {
    // A completed plan's estimate is the end of its last aligner: when the user may stop wearing it.
    return { next_change_on: null, days_left: null, progress_percent, estimated_completion_on };
  }
  const next_change_on = endOfCurrentAligner(plan);
  const days_left = Math.max(0, daysBetween(today, next_change_on));
  return { next_change_on, days_left, progress_percent, estimated_completion_on };
}

function invalid(path: string, message: string): { ok: false; error: TreatmentError } {
  return { ok: false, error: { path, message, code: 'validation_failed' } };
}

function notActive(message: string): { ok: false; error: TreatmentError } {
  return { ok: false, error: { path: '', message, code: 'treatment_not_active' } };
}

function alignerNumberError(plan: TreatmentPlan, alignerNumber: number): TreatmentResult | null {
  if (!Number.isInteger(alignerNumber) || alignerNumber < 1) {
    return invalid('aligner_number', 'must be a whole number of at least 1');
  }
  if (alignerNumber > plan.total_aligners) {
    return invalid('aligner_number', `must be at most ${plan.total_aligners}, the number of aligners`);
  }
  return null;
}

/**
 * A forward switch happens after the current aligner began. Going back (or
 * re-recording the current number) is how a user undoes a switch tapped by
 * mistake, so it may carry an earlier date, though never one before the treatment.
 */
function changedOnError(
  plan: TreatmentPlan,
  alignerNumber: number,
  changedOn: LocalDate,
  today: LocalDate,
): TreatmentResult | null {
  if (!isLocalDate(changedOn)) return invalid('changed_on', 'must be a date (YYYY-MM-DD)');
  if (changedOn > today) return invalid('changed_on', 'must not be in the future');
  if (alignerNumber > plan.current_aligner && changedOn < plan.current_aligner_started_on) {
    return invalid(
      'changed_on',
      `must not be before the current aligner started (${plan.current_aligner_started_on})`,
    );
  }
  if (changedOn < plan.started_on) {
    return invalid('changed_on', `must not be before the treatment started (${plan.started_on})`);
  }
  return null;
}

/**
 * Records a switch of aligner (POST /treatment/aligner-changes). Defaults: the next
 * aligner, today. Switching to the last aligner completes the treatment, as docs/resources.md#aligner-changes
 * says: numbers past the last are refused, so recording the last tray is the only
 * event that can end it, and no aligner change is left to remind about (wear
 * tracking does not depend on the status). A paused plan stays paused: resuming is
 * the user's explicit choice.
 */
export function planAlignerChange(
  plan: TreatmentPlan,
  change: AlignerChange,
  today: LocalDate,
): TreatmentResult {
  if (plan.status === 'not_started') return notActive('the treatment has not started');
  if (plan.status === 'completed') return notActive('the treatment is completed');
  const alignerNumber = change.aligner_number ?? plan.current_aligner + 1;
  const changedOn = change.changed_on ?? today;
  const error =
    alignerNumberError(plan, alignerNumber) ?? changedOnError(plan, alignerNumber, changedOn, today);
  if (error) return error;
  return {
    ok: true,
    plan: {
      ...plan,
      status: alignerNumber === plan.total_aligners ? 'completed' : plan.status,
      current_aligner: alignerNumber,
      current_aligner_started_on: changedOn,
      extension_days: 0,
    },
  };
}

/**
 * Wears the current aligner `days` longer (POST /treatment/extensions). Only an
 * active plan has a running aligner to extend; the 1–30 bound is the request
 * schema's, this only refuses what would corrupt the plan.
 */
export function applyExtension(plan: TreatmentPlan, days: number): TreatmentResult {
  if (plan.status !== 'active')
    return notActive(`an extension needs an active treatment (it is ${plan.status})`);
  if (!Number.isInteger(days) || days < 1) return invalid('days', 'must be a whole number of at least 1');
  return { ok: true, plan: { ...plan, extension_days: plan.extension_days + days } };
}

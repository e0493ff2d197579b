import type { LocalDate } from '../shared/time/local-time.js';
import type { AlignerChange, TreatmentPlan } from './plan-rules.js';

/**
 * Why a change, though valid, would only repeat the switch already recorded; null
 * when it is a new one. A double tap (two requests with different Idempotency-Keys,
 * or none) must not move the user two aligners on: under the treatment lock the
 * second request sees the first one's result, so
 * - "the next aligner" (no number) dated the day the current aligner started is a
 *   repeat: the app sends the number to switch twice on one day on purpose;
 * - the current aligner with the date it already started on changes nothing.
 * Re-recording the current aligner with another date (correcting it) stays allowed.
 */
export function repeatedChange(plan: TreatmentPlan, change: AlignerChange, today: LocalDate): string | null {
  const changedOn = change.changed_on ?? today;
  if (changedOn !== plan.current_aligner_started_on) return null;
  if (change.aligner_number === undefined) {
    return `aligner ${plan.current_aligner} was already started on ${changedOn}; send aligner_number to switch again on the same day`;
  }
  if (change.aligner_number === plan.current_aligner) {
    return `aligner ${plan.current_aligner} is already the current one since ${changedOn}`;
  }
  return null;
}

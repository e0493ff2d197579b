import type { AlignerChange } from './aligner-change-model.js';
import { planOf, type Treatment } from './model.js';
import type { TreatmentExtension } from './extension-model.js';
import type { LocalDate } from '../shared/time/local-time.js';
import { deriveTreatment } from './plan-rules.js';
import type { TreatmentResponse } from './schema.js';

/** The plan as stored plus what follows from it on `today` (the user's local date). */
export function presentTreatment(treatment: Treatment, today: LocalDate): TreatmentResponse {
  const plan = planOf(treatment);
  return {
    ...plan,
    ...deriveTreatment(plan, today),
    updated_at: new Date(treatment.updated_at).toISOString(),
  };
}

export function presentAlignerChange(change: AlignerChange) {
  return {
    id: change.id,
    aligner_number: change.aligner_number,
    changed_on: change.changed_on,
    created_at: new Date(change.created_at).toISOString(),
  };
}

export function presentExtension(extension: TreatmentExtension) {
  return {
    id: extension.id,
    aligner_number: extension.aligner_number,
    days: extension.days,
    reason: extension.reason,
    created_at: new Date(extension.created_at).toISOString(),
  };
}

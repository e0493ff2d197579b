import type { TreatmentError } from './plan-rules.js';
import { AppError, conflict, validationFailed } from '../shared/errors.js';

/**
 * A refusal of the treatment domain as the API answers it: a bad field is a 422 on
 * that body field; a plan whose state forbids the operation is a 409 (the request
 * itself was well formed, and may succeed once the plan changes).
 */
export function fromTreatmentError(error: TreatmentError): AppError {
  if (error.code === 'treatment_not_active') {
    return conflict(`The treatment is not active: ${error.message}`, 'treatment_not_active');
  }
  return validationFailed(
    [{ path: error.path ? `body.${error.path}` : 'body', message: error.message }],
    'The request body is not valid',
  );
}

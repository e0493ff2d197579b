/**
 * One error type for every failure the service answers on purpose. Anything else
 * reaching the error middleware is a bug and becomes an opaque 500.
 */
export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (detail: string, code = 'bad_request') => new AppError(400, code, detail);
export const unauthorized = (detail = 'Missing or invalid credentials') =>
  new AppError(401, 'unauthorized', detail);
export const forbidden = (detail = 'This resource belongs to another user') =>
  new AppError(403, 'forbidden', detail);
export const notFound = (detail = 'Not found') => new AppError(404, 'not_found', detail);
export const conflict = (detail: string, code = 'conflict') => new AppError(409, code, detail);
export const validationFailed = (errors: FieldError[], detail = 'The request is not valid') =>
  new AppError(422, 'validation_failed', detail, { errors });
export const unavailable = (detail: string) =>
  new AppError(503, 'service_unavailable', detail, { headers: { 'retry-after': '5' } });

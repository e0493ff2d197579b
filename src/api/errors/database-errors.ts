import type { Problem } from './problem.js';

interface PgError {
  code?: string;
  name?: string;
  constraint?: string;
  message?: string;
}

// Connection-level failures: Postgres is down, restarting or unreachable.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/**
 * Maps database failures to problems. Constraint violations a client can cause
 * become 409/422; an unreachable database becomes 503 so clients (and HubSpot)
 * retry, never a 500.
 */
export function problemFromDatabaseError(error: unknown): Problem | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  // knex passes node-postgres's errors through as they are, codes on them (decision 010).
  const pg = error as PgError;
  const code = pg.code ?? '';
  if (code === '23505')
    return { status: 409, code: 'conflict', detail: 'This conflicts with an existing record' };
  if (code === '23P01') return { status: 409, code: 'conflict', detail: 'This overlaps an existing record' };
  if (code === '23503')
    return {
      status: 409,
      code: 'conflict',
      detail: 'A record this refers to does not exist or is still referenced',
    };
  if (code === '40001' || code === '40P01')
    return { status: 409, code: 'concurrent_update', detail: 'A concurrent change won; retry the request' };
  // 22021: text Postgres cannot store (a NUL character, in a value or a cursor); 22P05: the
  // same inside JSON (`\u0000` in a jsonb value).
  if (
    code === '22001' ||
    code === '22003' ||
    code === '22007' ||
    code === '22008' ||
    code === '22021' ||
    code === '22P02' ||
    code === '22P05' ||
    code === '23514'
  )
    return { status: 422, code: 'validation_failed', detail: 'A value is out of range or malformed' };
  if (code === '57014')
    return { status: 503, code: 'service_unavailable', detail: 'The database took too long to answer' };
  if (
    UNAVAILABLE_CODES.has(code) ||
    code.startsWith('08') ||
    pg.name === 'KnexTimeoutError' ||
    // pg's errors without a code: "… is not queryable" is a query (e.g. the ROLLBACK knex
    // sends after a failed statement) on a client whose connection just broke.
    /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|is not queryable/i.test(
      pg.message ?? '',
    )
  ) {
    return { status: 503, code: 'service_unavailable', detail: 'The database is unavailable; retry shortly' };
  }
  return undefined;
}

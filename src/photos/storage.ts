import { AppError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

/**
 * Runs one S3 call for a request. S3 being unreachable or refusing us is our trouble,
 * not the caller's: a 503 they can retry, never a 500. The cause is logged (the SDK's
 * errors carry no signature or credential), the answer says nothing of it.
 */
export async function withStorage<T>(logger: Logger, action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof AppError) throw error;
    logger.warn({ err: error, action }, 'S3 call failed');
    throw new AppError(503, 'storage_unavailable', 'Photo storage is unavailable; try again shortly', {
      headers: { 'retry-after': '5' },
    });
  }
}

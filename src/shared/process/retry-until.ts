import type { Logger } from '../logger.js';

/** Retries `attempt` until it succeeds or `deadlineMs` passes: dependencies may start after us. */
export async function retryUntil<T>(
  logger: Logger,
  what: string,
  attempt: () => Promise<T>,
  deadlineMs = 60000,
  /** A failure that is simply "not yet" (e.g. the API has not migrated): its reason, logged at info without a stack. */
  notYet: (error: unknown) => string | undefined = () => undefined,
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (let delay = 500; ; delay = Math.min(delay * 2, 5000)) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() + delay > deadline) throw error;
      const reason = notYet(error);
      if (reason) logger.info({ reason, retry_in_ms: delay }, what);
      else logger.warn({ err: error, retry_in_ms: delay }, `${what} failed; retrying`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

import type { Job } from 'bullmq';
import type { Transient } from '../clients/http-outcome.js';

/** True on the attempt after which BullMQ gives up: the processor records the failure on its row. */
export function isLastAttempt(job: Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

export function errorMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 1000);
}

/** How many 429s one job waits out (Retry-After) without spending an attempt. */
export const MAX_FREE_RATE_LIMIT_WAITS = 10;

/**
 * A 429 is waited out without spending an attempt (docs/reminders.md#schedule), but only so many times per
 * job: a rate limit that never lifts would otherwise run the job for ever (a cancel has
 * no end; a schedule only its send time). Past that, a 429 is a retryable failure like
 * a 5xx: it spends attempts with the job's backoff, and the job ends failed after the last.
 */
export function boundRateLimit<T extends { kind: string }>(job: Job, outcome: T): T | Transient {
  if (outcome.kind !== 'rate_limited') return outcome;
  // BullMQ counts every run (attemptsStarted) and every failed one (attemptsMade): the
  // difference, this run aside, is the runs that spent nothing (rate-limit waits, and the
  // rare delay or stall). A job called as a plain function (tests) has no count.
  const freeRuns = (job.attemptsStarted ?? 0) - job.attemptsMade - 1;
  if (freeRuns < MAX_FREE_RATE_LIMIT_WAITS) return outcome;
  return {
    kind: 'retryable',
    reason: `HTTP 429: still rate limited after ${MAX_FREE_RATE_LIMIT_WAITS} waits`,
  };
}

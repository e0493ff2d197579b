import { RequestError, type Response } from 'got';

/**
 * How an outbound call ended, in the terms the processors act on (docs/reminders.md, docs/dentists.md#jarvis):
 * retry later, wait for the rate limit, or stop.
 */
export type Transient = { kind: 'retryable'; reason: string };
export type RateLimited = { kind: 'rate_limited'; retryAfterMs: number };
export type Rejected = { kind: 'rejected'; status: number; reason: string };

const MAX_RETRY_AFTER_MS = 3600_000;

/** `Retry-After` in seconds or as an HTTP date; 1 s when absent or unreadable, at most an hour. */
export function retryAfterMs(header: string | string[] | undefined, now = Date.now()): number {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return 1000;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 1000), MAX_RETRY_AFTER_MS) : 1000;
}

/** Network failures and timeouts: the request may or may not have arrived; retry. */
export function transientFromError(error: unknown): Transient {
  if (error instanceof RequestError)
    return { kind: 'retryable', reason: `${error.code}: ${error.message}`.slice(0, 500) };
  throw error;
}

/** 429 and 5xx are someone else's trouble and pass; other 4xx are ours and will not. */
export function classifyFailure(response: Response<string>): Transient | RateLimited | Rejected {
  if (response.statusCode === 429)
    return { kind: 'rate_limited', retryAfterMs: retryAfterMs(response.headers['retry-after']) };
  const reason = `HTTP ${response.statusCode}: ${response.body.slice(0, 500)}`;
  if (response.statusCode >= 500) return { kind: 'retryable', reason };
  return { kind: 'rejected', status: response.statusCode, reason };
}

export function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

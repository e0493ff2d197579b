import type { Hooks } from 'got';

/** How one outbound call ended, as `upstream_responses_total{class}` counts it. */
export const RESPONSE_CLASSES = ['2xx', '3xx', '4xx', '5xx', 'timeout', 'network_error'] as const;
export type ResponseClass = (typeof RESPONSE_CLASSES)[number];

/** Told of every call's end: the worker counts them by upstream (docs/operations.md#metrics). */
export type ResponseCounter = (responseClass: ResponseClass) => void;

/**
 * got hooks that tell `count` how each call ended. The clients neither retry nor throw on
 * HTTP errors, so each call ends exactly once: in `afterResponse` with a status, or in
 * `beforeError` without one.
 */
export function countingHooks(count: ResponseCounter | undefined): Partial<Hooks> {
  if (!count) return {};
  return {
    afterResponse: [
      (response) => {
        count(`${Math.min(Math.max(Math.floor(response.statusCode / 100), 2), 5)}xx` as ResponseClass);
        return response;
      },
    ],
    beforeError: [
      (error) => {
        count(error.code === 'ETIMEDOUT' ? 'timeout' : 'network_error');
        return error;
      },
    ],
  };
}

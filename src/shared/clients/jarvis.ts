import { countingHooks, type ResponseCounter } from './response-classes.js';
import got, { RequestError, type Got } from 'got';
import { redactSecrets, redactText } from '../redaction.js';
import {
  classifyFailure,
  parseJson,
  transientFromError,
  type Rejected,
  type Transient,
} from './http-outcome.js';

/**
 * How a change-dentist call ended (docs/dentists.md#jarvis). `no_answer` is kept apart from other
 * retryable outcomes: the call may have reached Jarvis, so a 409 on a later attempt
 * most likely answers our own call.
 */
export type ChangeDentistOutcome =
  | { kind: 'submitted'; ticketId: string | null }
  | { kind: 'already_pending'; reason: string }
  | { kind: 'no_answer'; reason: string }
  | Transient
  | Rejected;

export interface JarvisSettings {
  apiUrl: string;
  apiKey: string;
  timeoutMs?: number;
  /** Told how each call ended, for `upstream_responses_total`. */
  countResponse?: ResponseCounter;
}

/** How long one call may take before it counts as unanswered. */
export const JARVIS_TIMEOUT_MS = 10_000;

// The connection was never made: the request certainly did not reach Jarvis.
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * Jarvis, the back office: exactly the seed's one call. One instance per worker; it
 * never retries by itself (BullMQ does) and never follows redirects. Reasons are
 * scrubbed of email addresses: they reach logs, Redis and the row.
 */
export class JarvisClient {
  private readonly http: Got;
  /** Emails and our own key (an error page may echo request headers) never leave in a reason. */
  private readonly scrub: (text: string) => string;

  constructor(settings: JarvisSettings) {
    this.scrub = (text) => redactText(redactSecrets(text, [settings.apiKey]));
    this.http = got.extend({
      prefixUrl: settings.apiUrl.replace(/\/+$/, ''),
      headers: { authorization: `Api-Key ${settings.apiKey}`, accept: 'application/json' },
      timeout: { request: settings.timeoutMs ?? JARVIS_TIMEOUT_MS },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
      hooks: countingHooks(settings.countResponse),
    });
  }

  /** `POST /api/smilewhite_app/customer/change-dentist/{email}/` `{"assigned_dentist": <id>}`. */
  async changeDentist(email: string, dentistId: number): Promise<ChangeDentistOutcome> {
    if (!Number.isSafeInteger(dentistId) || dentistId <= 0)
      throw new Error('dentist id must be a positive integer');
    let response;
    try {
      response = await this.http.post(
        `api/smilewhite_app/customer/change-dentist/${encodeURIComponent(email)}/`,
        {
          // The seed's bytes (Python's json.dumps): the id as a JSON number.
          body: `{"assigned_dentist": ${dentistId}}`,
          headers: { 'content-type': 'application/json' },
        },
      );
    } catch (error) {
      const { reason } = transientFromError(error);
      const code = error instanceof RequestError ? error.code : '';
      return { kind: NOT_SENT_CODES.has(code) ? 'retryable' : 'no_answer', reason: this.scrub(reason) };
    }
    // The seed documents 200; any 2xx says the change was taken, and retrying it would only earn a 409.
    if (response.statusCode >= 200 && response.statusCode < 300) {
      const body = parseJson(response.body) as { ticket?: { id?: unknown } } | undefined;
      const id = body?.ticket?.id;
      return {
        kind: 'submitted',
        ticketId: typeof id === 'string' || typeof id === 'number' ? String(id).slice(0, 200) : null,
      };
    }
    const reason = this.scrub(`HTTP ${response.statusCode}: ${response.body.slice(0, 500)}`);
    if (response.statusCode === 409) return { kind: 'already_pending', reason };
    // A gateway timeout is a timeout one hop further: Jarvis may have acted on the call.
    if (response.statusCode === 504) return { kind: 'no_answer', reason };
    const failure = classifyFailure(response);
    // 429 is retried with the job's backoff: Jarvis calls are rare enough not to need a rate limiter.
    if (failure.kind === 'rate_limited') return { kind: 'retryable', reason };
    return { ...failure, reason };
  }
}

export function jarvisFromConfig(
  config: {
    JARVIS_API_URL?: string | undefined;
    JARVIS_API_KEY?: string | undefined;
  },
  countResponse?: ResponseCounter,
): JarvisClient | undefined {
  if (!config.JARVIS_API_URL || !config.JARVIS_API_KEY) return undefined;
  return new JarvisClient({
    apiUrl: config.JARVIS_API_URL,
    apiKey: config.JARVIS_API_KEY,
    ...(countResponse ? { countResponse } : {}),
  });
}

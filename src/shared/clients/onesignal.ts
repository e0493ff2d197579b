import { countingHooks, type ResponseCounter } from './response-classes.js';
import got, { type Got } from 'got';
import { redactSecrets, redactText } from '../redaction.js';
import {
  classifyFailure,
  parseJson,
  transientFromError,
  type RateLimited,
  type Rejected,
  type Transient,
} from './http-outcome.js';

export interface OneSignalNotification {
  /** Our reminder id: the `idempotency_key`, and `data.notification_id` for the app. */
  id: string;
  type: 'progress' | 'wear' | 'weekly_summary';
  externalId: string;
  heading: string;
  message: string;
  sendAfter: Date;
}

export type CreateOutcome =
  | { kind: 'created'; onesignalId: string }
  | { kind: 'not_sent'; reason: string }
  | Transient
  | RateLimited
  | Rejected;

export type CancelOutcome =
  { kind: 'cancelled' } | { kind: 'gone'; reason: string } | Transient | RateLimited | Rejected;

export interface OneSignalSettings {
  apiUrl: string;
  appId: string;
  apiKey: string;
  timeoutMs?: number;
  /** Told how each call ended, for `upstream_responses_total`. */
  countResponse?: ResponseCounter;
}

/**
 * OneSignal's REST API, exactly the seed's two calls. One instance per worker; it
 * never retries by itself (BullMQ does, with the same idempotency key) and never
 * follows redirects.
 */
export class OneSignalClient {
  private readonly http: Got;

  constructor(private readonly settings: OneSignalSettings) {
    this.http = got.extend({
      prefixUrl: settings.apiUrl.replace(/\/+$/, ''),
      headers: { authorization: `Key ${settings.apiKey}`, accept: 'application/json' },
      timeout: { request: settings.timeoutMs ?? 10_000 },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
      hooks: countingHooks(settings.countResponse),
    });
  }

  /**
   * Reasons reach logs, Redis and the row: our key (an error body may echo request
   * headers) and email addresses are masked in them.
   */
  private scrubbed<T extends CreateOutcome | CancelOutcome>(outcome: T): T {
    if (!('reason' in outcome)) return outcome;
    return { ...outcome, reason: redactText(redactSecrets(outcome.reason, [this.settings.apiKey])) };
  }

  async createNotification(notification: OneSignalNotification): Promise<CreateOutcome> {
    return this.scrubbed(await this.create(notification));
  }

  async cancelNotification(onesignalId: string): Promise<CancelOutcome> {
    return this.scrubbed(await this.cancel(onesignalId));
  }

  private async create(notification: OneSignalNotification): Promise<CreateOutcome> {
    let response;
    try {
      response = await this.http.post('notifications', {
        json: {
          app_id: this.settings.appId,
          include_aliases: { external_id: [notification.externalId] },
          target_channel: 'push',
          headings: { en: notification.heading },
          contents: { en: notification.message },
          send_after: notification.sendAfter.toISOString(),
          data: { notification_id: notification.id, type: notification.type },
          idempotency_key: notification.id,
        },
      });
    } catch (error) {
      return transientFromError(error);
    }
    if (response.statusCode !== 200) return classifyFailure(response);
    const body = parseJson(response.body) as { id?: unknown; errors?: unknown } | undefined;
    // A 200 we cannot read may still have created it: retry; the idempotency key
    // makes OneSignal answer with the same notification.
    if (typeof body !== 'object' || body === null)
      return { kind: 'retryable', reason: 'unreadable 200 response' };
    if (typeof body.id === 'string' && body.id.length > 0) return { kind: 'created', onesignalId: body.id };
    return { kind: 'not_sent', reason: JSON.stringify(body.errors ?? 'no id returned').slice(0, 500) };
  }

  private async cancel(onesignalId: string): Promise<CancelOutcome> {
    let response;
    try {
      response = await this.http.delete(`notifications/${encodeURIComponent(onesignalId)}`, {
        searchParams: { app_id: this.settings.appId },
      });
    } catch (error) {
      return transientFromError(error);
    }
    if (response.statusCode >= 200 && response.statusCode < 300) return { kind: 'cancelled' };
    // Already sent, or unknown to OneSignal: nothing left to cancel (docs/reminders.md#cancel).
    if (response.statusCode === 400 || response.statusCode === 404)
      return { kind: 'gone', reason: `HTTP ${response.statusCode}: ${response.body.slice(0, 300)}` };
    return classifyFailure(response);
  }
}

export function oneSignalFromConfig(
  config: {
    ONESIGNAL_APP_ID?: string | undefined;
    ONESIGNAL_REST_API_KEY?: string | undefined;
    ONESIGNAL_API_URL: string;
  },
  countResponse?: ResponseCounter,
): OneSignalClient | undefined {
  if (!config.ONESIGNAL_APP_ID || !config.ONESIGNAL_REST_API_KEY) return undefined;
  return new OneSignalClient({
    apiUrl: config.ONESIGNAL_API_URL,
    appId: config.ONESIGNAL_APP_ID,
    apiKey: config.ONESIGNAL_REST_API_KEY,
    ...(countResponse ? { countResponse } : {}),
  });
}

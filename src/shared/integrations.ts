import type { Config } from './config.js';
import type { Logger } from './logger.js';

/** One line at start-up saying which integrations are live and which are off (docs/reminders.md, docs/dentists.md#jarvis). */
export function logIntegrations(config: Config, logger: Logger): void {
  logger.info(
    {
      onesignal:
        config.ONESIGNAL_APP_ID && config.ONESIGNAL_REST_API_KEY
          ? 'configured'
          : 'not configured (reminders end skipped)',
      jarvis:
        config.JARVIS_API_URL && config.JARVIS_API_KEY
          ? 'configured'
          : 'not configured (dentist changes end failed)',
      hubspot_webhooks:
        config.HUBSPOT_CLIENT_SECRET.length > 0 ? 'configured' : 'not configured (every webhook is 401)',
      internal_api:
        config.INTERNAL_API_KEYS.length > 0 ? 'configured' : 'not configured (every /internal call is 401)',
      cognito_verification: config.COGNITO_VERIFY_JWT ? 'on' : 'off (API Gateway verifies tokens)',
    },
    'integrations',
  );
}

import type { Middleware } from 'koa';
import type { Config } from '../../shared/config.js';
import { unauthorized } from '../../shared/errors.js';
import { requestUriForSignature, verifyHubSpotSignatureV3 } from '../../hubspot/signature.js';
import type { Logger } from '../../shared/logger.js';

/**
 * `/public/hubspot/*` (docs/auth.md#hubspot-signature): HubSpot signature v3 over method, URI, raw body and
 * timestamp. Runs after the body parser, which keeps the exact raw body.
 */
export function hubspotSignatureAuth(config: Config, logger: Logger): Middleware {
  return async (ctx, next) => {
    const check = verifyHubSpotSignatureV3({
      secrets: config.HUBSPOT_CLIENT_SECRET,
      method: ctx.method,
      uri: requestUriForSignature({
        configuredUrl: config.HUBSPOT_WEBHOOK_URL,
        protocol: ctx.protocol,
        host: ctx.get('host'),
        originalUrl: ctx.originalUrl,
        forwardedProto: ctx.get('x-forwarded-proto') || undefined,
        forwardedHost: ctx.get('x-forwarded-host') || undefined,
      }),
      rawBody: (ctx.request as { rawBody?: string }).rawBody ?? '',
      signature: ctx.get('x-hubspot-signature-v3') || undefined,
      timestamp: ctx.get('x-hubspot-request-timestamp') || undefined,
      now: Date.now(),
    });
    if (!check.ok) {
      logger.warn({ reason: check.reason }, 'HubSpot request rejected');
      throw unauthorized('The HubSpot signature is missing, invalid or stale');
    }
    await next();
  };
}

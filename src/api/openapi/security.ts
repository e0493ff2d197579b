import type { AuthScheme } from '../route.js';

/** One scheme per caller (docs/auth.md#callers). */
export const securitySchemes = {
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'Cognito JWT of the signed-in user (verified by API Gateway); its `sub` must match the path',
  },
  apiKey: {
    type: 'apiKey',
    in: 'header',
    name: 'x-api-key',
    description: 'Service API key (Jarvis and other internal services)',
  },
  hubspotSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X-HubSpot-Signature-v3',
    description:
      'HubSpot signature v3: base64(HMAC-SHA256(client secret, method + URI + raw body + timestamp)), with X-HubSpot-Request-Timestamp',
  },
} as const;

/** The operation's `security`; an empty list states that a route is public. */
export function securityFor(auth: AuthScheme): Array<Record<string, string[]>> {
  switch (auth) {
    case 'jwt':
      return [{ bearerAuth: [] }];
    case 'api_key':
      return [{ apiKey: [] }];
    case 'hubspot_signature':
      return [{ hubspotSignature: [] }];
    case 'none':
      return [];
  }
}

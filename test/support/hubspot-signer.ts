// Signs a request the way HubSpot does, so tests can call `/public/hubspot/*` with valid headers.
// Built on the production HMAC function on purpose: the unit tests pin that function against an
// independent computation, and duplicating it here would let the two drift apart.
import { decodeHubSpotUri, hubspotSignatureV3 } from '../../src/hubspot/signature.js';

export function signHubSpotRequest(opts: {
  secret: string;
  method?: string;
  uri: string;
  body: string;
  timestamp?: number;
}): { 'x-hubspot-signature-v3': string; 'x-hubspot-request-timestamp': string } {
  const timestamp = String(opts.timestamp ?? Date.now());
  // HubSpot signs the URI after decoding its special characters; decoding is idempotent, so callers may
  // pass either form.
  const uri = decodeHubSpotUri(opts.uri);
  return {
    'x-hubspot-signature-v3': hubspotSignatureV3(
      opts.secret,
      opts.method ?? 'POST',
      uri,
      opts.body,
      timestamp,
    ),
    'x-hubspot-request-timestamp': timestamp,
  };
}

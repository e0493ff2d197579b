// HubSpot request signature v3 (docs/auth.md#hubspot-signature, `/public/hubspot/*`).
//
// HubSpot signs base64(HMAC-SHA256(clientSecret, method + uri + rawBody + timestamp)) and sends it in
// `X-HubSpot-Signature-v3`, with the timestamp (epoch ms) in `X-HubSpot-Request-Timestamp`.
// Everything here is pure (node:crypto only) so the Koa middleware stays thin and the rules can be
// unit-tested without HTTP.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const HUBSPOT_SIGNATURE_HEADER = 'x-hubspot-signature-v3';
export const HUBSPOT_TIMESTAMP_HEADER = 'x-hubspot-request-timestamp';
export const DEFAULT_MAX_SKEW_MS = 5 * 60 * 1000;

export function hubspotSignatureV3(
  secret: string,
  method: string,
  uri: string,
  rawBody: string,
  timestamp: string,
): string {
  return createHmac('sha256', secret)
    .update(`${method}${uri}${rawBody}${timestamp}`, 'utf8')
    .digest('base64');
}

// HubSpot decodes exactly these percent-encodings before signing; any other %XX (e.g. %20, %25) is
// signed as sent, so decoding more (decodeURIComponent) would break valid signatures.
const HUBSPOT_DECODED = /%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi;

// Single pass, and no replacement character is '%' or a hex digit, so the function is idempotent and
// never double-decodes: '%253A' stays '%253A'.
export function decodeHubSpotUri(uri: string): string {
  return uri.replace(HUBSPOT_DECODED, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

// Proxies append to these headers, so the first entry is the one the client (HubSpot) actually used.
function firstForwarded(value: string | undefined): string | undefined {
  const first = value?.split(',')[0]?.trim();
  return first ? first : undefined;
}

/**
 * The `uri` part of the signed string: the URL HubSpot called.
 *
 * With `configuredUrl` (HUBSPOT_WEBHOOK_URL) set, it is used verbatim — only surrounding whitespace
 * (an env-file accident; a URL cannot contain it) is dropped — and the request's own query string is
 * NOT appended. HubSpot signs the target URL as registered; if that URL carries a query, it belongs
 * in HUBSPOT_WEBHOOK_URL too. A query the registered URL lacks was therefore added by something
 * other than HubSpot (a proxy, or a forger), and accepting it would only hide a misconfiguration.
 *
 * Otherwise the URL is rebuilt from the request, honouring X-Forwarded-Proto / X-Forwarded-Host
 * because TLS normally terminates at a load balancer in front of us.
 */
export function requestUriForSignature(input: {
  configuredUrl?: string | undefined;
  protocol: string;
  host: string;
  originalUrl: string;
  forwardedProto?: string | undefined;
  forwardedHost?: string | undefined;
}): string {
  const configured = input.configuredUrl?.trim();
  if (configured) return decodeHubSpotUri(configured);
  // Schemes are case-insensitive and HubSpot sends them lowercase; the host is kept as received.
  const proto = (firstForwarded(input.forwardedProto) ?? input.protocol).toLowerCase();
  const host = firstForwarded(input.forwardedHost) ?? input.host;
  return decodeHubSpotUri(`${proto}://${host}${input.originalUrl}`);
}

export type SignatureCheck =
  | { ok: true }
  | {
      ok: false;
      reason:
        'missing_signature' | 'missing_timestamp' | 'invalid_timestamp' | 'stale_timestamp' | 'bad_signature';
    };

// Hashing both sides gives equal-length buffers for timingSafeEqual whatever the caller sent, so
// neither the length nor the content of the expected signature leaks through timing.
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function verifyHubSpotSignatureV3(input: {
  secrets: string[];
  method: string;
  uri: string;
  rawBody: string;
  signature: string | undefined;
  timestamp: string | undefined;
  now: number;
  maxSkewMs?: number;
}): SignatureCheck {
  const { signature, timestamp } = input;
  if (!signature) return { ok: false, reason: 'missing_signature' };
  if (!timestamp) return { ok: false, reason: 'missing_timestamp' };
  // Digits only: Number() would also accept '1e12', ' 12', '0x1f' or '-5'.
  if (!/^\d+$/.test(timestamp)) return { ok: false, reason: 'invalid_timestamp' };
  const sentAt = Number(timestamp);
  if (!Number.isSafeInteger(sentAt)) return { ok: false, reason: 'invalid_timestamp' };
  // Replay window in both directions: a timestamp far in the future would otherwise stay valid for a
  // long time once captured.
  if (Math.abs(input.now - sentAt) > (input.maxSkewMs ?? DEFAULT_MAX_SKEW_MS)) {
    return { ok: false, reason: 'stale_timestamp' };
  }

  const provided = digest(signature);
  let matched = 0;
  for (const secret of input.secrets) {
    // An empty secret is an HMAC key anyone can use; never let it validate a request.
    if (secret === '') continue;
    // The timestamp is signed as sent (not re-serialised from the number) so leading zeros still match.
    const expected = digest(hubspotSignatureV3(secret, input.method, input.uri, input.rawBody, timestamp));
    // No early exit: every secret costs the same, so timing does not reveal which one matched.
    matched |= Number(timingSafeEqual(expected, provided));
  }
  return matched === 1 ? { ok: true } : { ok: false, reason: 'bad_signature' };
}

/** HUBSPOT_CLIENT_SECRET may hold several comma-separated secrets so they can be rotated. */
export function parseSecrets(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

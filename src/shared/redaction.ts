/**
 * Scrubbing of values that must never reach a log line (docs/operations.md#logs): emails in URLs
 * (the internal API addresses users by email), presigned URL signatures and tokens.
 * Header and body fields are redacted by pino's path-based `redact` (logger.ts).
 */

// Every character RFC 5322 allows before the @ (and %XX escapes of them, as in URLs).
const EMAIL_IN_TEXT = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+(@|%40)[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const SENSITIVE_QUERY =
  /^(email|token|access_token|id_token|refresh_token|jwt|code|x-amz-signature|x-amz-credential|x-amz-security-token|signature|api_key|apikey)$/i;
// A JWT wherever it appears (header.payload.signature in base64url; the header starts `{"`).
const JWT_IN_TEXT = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;

export const REDACTED = '[redacted]';

export function redactText(text: string): string {
  return text.replace(EMAIL_IN_TEXT, REDACTED).replace(JWT_IN_TEXT, REDACTED);
}

/**
 * `text` with each of `secrets` masked: the credentials a client sends, which a server
 * may echo back in an error body (a debug page listing request headers) that then
 * becomes a logged, stored reason.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  return secrets.reduce((out, secret) => (secret ? out.split(secret).join(REDACTED) : out), text);
}

/** A path with query string, safe to log: emails masked, sensitive query values removed. */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  const path = redactText(queryStart === -1 ? url : url.slice(0, queryStart));
  if (queryStart === -1) return path;
  const params = url
    .slice(queryStart + 1)
    .split('&')
    .map((pair) => {
      const [name = '', value] = pair.split('=');
      let decodedName = name;
      try {
        decodedName = decodeURIComponent(name);
      } catch {
        // keep the raw name: a malformed escape is logged as sent, minus its value
      }
      if (value === undefined) return name;
      return SENSITIVE_QUERY.test(decodedName) ? `${name}=${REDACTED}` : `${name}=${redactText(value)}`;
    });
  return `${path}?${params.join('&')}`;
}

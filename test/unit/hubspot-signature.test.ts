import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  decodeHubSpotUri,
  hubspotSignatureV3,
  parseSecrets,
  requestUriForSignature,
  verifyHubSpotSignatureV3,
} from '../../src/hubspot/signature.js';
import { signHubSpotRequest } from '../support/hubspot-signer.js';

const SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const URI = 'https://api.example.com/public/hubspot/webhooks';
const BODY = '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"objectId":123}]';
const NOW = 1_764_320_400_000; // 2025-11-28T09:00:00.000Z
const MINUTE = 60_000;

function verify(overrides: Partial<Parameters<typeof verifyHubSpotSignatureV3>[0]> = {}) {
  const headers = signHubSpotRequest({ secret: SECRET, uri: URI, body: BODY, timestamp: NOW });
  return verifyHubSpotSignatureV3({
    secrets: [SECRET],
    method: 'POST',
    uri: URI,
    rawBody: BODY,
    signature: headers['x-hubspot-signature-v3'],
    timestamp: headers['x-hubspot-request-timestamp'],
    now: NOW,
    ...overrides,
  });
}

describe('hubspotSignatureV3', () => {
  it('matches an HMAC computed independently over the literal concatenation', () => {
    // Written out by hand so the test does not reuse the implementation's concatenation.
    const source =
      'POSThttps://api.example.com/public/hubspot/webhooks' +
      '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"objectId":123}]' +
      '1764320400000';
    const expected = createHmac('sha256', SECRET).update(source, 'utf8').digest('base64');

    expect(hubspotSignatureV3(SECRET, 'POST', URI, BODY, '1764320400000')).toBe(expected);
    expect(expected).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  it('hashes non-ASCII bodies as UTF-8', () => {
    const body = '[{"propertyValue":"Zoë – ✓"}]';
    const expected = createHmac('sha256', SECRET)
      .update(Buffer.from(`POST${URI}${body}1`, 'utf8'))
      .digest('base64');

    expect(hubspotSignatureV3(SECRET, 'POST', URI, body, '1')).toBe(expected);
  });
});

describe('verifyHubSpotSignatureV3', () => {
  it('accepts a valid signature', () => {
    expect(verify()).toEqual({ ok: true });
  });

  it('accepts timestamps exactly at the 5-minute boundary, past and future', () => {
    const past = signHubSpotRequest({ secret: SECRET, uri: URI, body: BODY, timestamp: NOW - 5 * MINUTE });
    const future = signHubSpotRequest({ secret: SECRET, uri: URI, body: BODY, timestamp: NOW + 5 * MINUTE });

    for (const h of [past, future]) {
      expect(
        verify({ signature: h['x-hubspot-signature-v3'], timestamp: h['x-hubspot-request-timestamp'] }),
      ).toEqual({ ok: true });
    }
  });

  it.each([
    ['tampered body', { rawBody: BODY.replace('123', '124') }],
    ['wrong secret', { secrets: ['another-secret'] }],
    ['wrong method', { method: 'PUT' }],
    ['wrong uri', { uri: 'https://api.example.com/public/hubspot/webhooks?x=1' }],
    ['signature of another timestamp', { timestamp: String(NOW + 1) }],
    ['garbage signature', { signature: 'not-a-signature' }],
    ['no secrets configured', { secrets: [] }],
  ])('rejects %s as bad_signature', (_name, overrides) => {
    expect(verify(overrides)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('never validates with an empty secret, even when the signature was made with one', () => {
    const h = signHubSpotRequest({ secret: '', uri: URI, body: BODY, timestamp: NOW });

    expect(
      verify({
        secrets: [''],
        signature: h['x-hubspot-signature-v3'],
        timestamp: h['x-hubspot-request-timestamp'],
      }),
    ).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it.each([
    ['6 minutes old', NOW - 6 * MINUTE],
    ['6 minutes ahead', NOW + 6 * MINUTE],
    ['just over 5 minutes old', NOW - 5 * MINUTE - 1],
  ])('rejects a correctly signed timestamp %s as stale', (_name, timestamp) => {
    const h = signHubSpotRequest({ secret: SECRET, uri: URI, body: BODY, timestamp });

    expect(
      verify({ signature: h['x-hubspot-signature-v3'], timestamp: h['x-hubspot-request-timestamp'] }),
    ).toEqual({ ok: false, reason: 'stale_timestamp' });
  });

  it('honours a custom maxSkewMs', () => {
    const h = signHubSpotRequest({ secret: SECRET, uri: URI, body: BODY, timestamp: NOW - 2 * MINUTE });
    const input = { signature: h['x-hubspot-signature-v3'], timestamp: h['x-hubspot-request-timestamp'] };

    expect(verify({ ...input, maxSkewMs: MINUTE })).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(verify({ ...input, maxSkewMs: 3 * MINUTE })).toEqual({ ok: true });
  });

  it.each(['abc', '1764320400000ms', '1.7e12', '-1764320400000', ' 1764320400000', '0x1f', '9'.repeat(20)])(
    'rejects the non-numeric or unusable timestamp %j as invalid_timestamp',
    (timestamp) => {
      expect(verify({ timestamp })).toEqual({ ok: false, reason: 'invalid_timestamp' });
    },
  );

  it.each([undefined, ''])('rejects a missing signature header (%j)', (signature) => {
    expect(verify({ signature })).toEqual({ ok: false, reason: 'missing_signature' });
  });

  it.each([undefined, ''])('rejects a missing timestamp header (%j)', (timestamp) => {
    expect(verify({ timestamp })).toEqual({ ok: false, reason: 'missing_timestamp' });
  });

  it('reports missing_signature first when both headers are missing', () => {
    expect(verify({ signature: undefined, timestamp: undefined })).toEqual({
      ok: false,
      reason: 'missing_signature',
    });
  });

  it('signs the timestamp as sent, so leading zeros are part of the signature', () => {
    const timestamp = `0${NOW}`;
    const signature = hubspotSignatureV3(SECRET, 'POST', URI, BODY, timestamp);

    expect(verify({ signature, timestamp })).toEqual({ ok: true });
    expect(verify({ signature, timestamp: String(NOW) })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  describe('secret rotation', () => {
    const OLD = 'old-secret';
    const NEW = 'new-secret';

    it.each([OLD, NEW])('accepts a request signed with %s when both are configured', (secret) => {
      const h = signHubSpotRequest({ secret, uri: URI, body: BODY, timestamp: NOW });

      expect(
        verify({
          secrets: [OLD, NEW],
          signature: h['x-hubspot-signature-v3'],
          timestamp: h['x-hubspot-request-timestamp'],
        }),
      ).toEqual({ ok: true });
    });

    it('rejects a request signed with a secret that is no longer configured', () => {
      const h = signHubSpotRequest({ secret: 'retired-secret', uri: URI, body: BODY, timestamp: NOW });

      expect(
        verify({
          secrets: [OLD, NEW],
          signature: h['x-hubspot-signature-v3'],
          timestamp: h['x-hubspot-request-timestamp'],
        }),
      ).toEqual({ ok: false, reason: 'bad_signature' });
    });
  });
});

describe('decodeHubSpotUri', () => {
  it.each([
    ['%3A', ':'],
    ['%2F', '/'],
    ['%3F', '?'],
    ['%40', '@'],
    ['%21', '!'],
    ['%24', '$'],
    ['%27', "'"],
    ['%28', '('],
    ['%29', ')'],
    ['%2A', '*'],
    ['%2C', ','],
    ['%3B', ';'],
  ])('decodes %s to %j, in either hex case', (encoded, decoded) => {
    expect(decodeHubSpotUri(`https://h/p?q=a${encoded}b`)).toBe(`https://h/p?q=a${decoded}b`);
    expect(decodeHubSpotUri(`https://h/p?q=a${encoded.toLowerCase()}b`)).toBe(`https://h/p?q=a${decoded}b`);
  });

  it.each(['%20', '%25', '%2B', '%3D', '%26', '%23', '%C3%A9', '%7E', '%3', '%zz'])(
    'leaves %s untouched',
    (seq) => {
      // Followed by "x", not a hex digit, so a truncated "%3" cannot combine with it into "%3b".
      expect(decodeHubSpotUri(`https://h/p?q=a${seq}x`)).toBe(`https://h/p?q=a${seq}x`);
    },
  );

  it('decodes every occurrence in one pass without double-decoding', () => {
    expect(decodeHubSpotUri('https://h/p?t=a%3Ab%3ac%2C%2c')).toBe('https://h/p?t=a:b:c,,');
    expect(decodeHubSpotUri('https://h/p?t=%253A')).toBe('https://h/p?t=%253A');
  });
});

describe('requestUriForSignature', () => {
  const request = { protocol: 'http', host: 'localhost:3000', originalUrl: '/public/hubspot/webhooks' };

  it('rebuilds the URL from the request without proxy headers', () => {
    expect(requestUriForSignature(request)).toBe('http://localhost:3000/public/hubspot/webhooks');
  });

  it('honours X-Forwarded-Proto and X-Forwarded-Host', () => {
    expect(
      requestUriForSignature({ ...request, forwardedProto: 'https', forwardedHost: 'api.example.com' }),
    ).toBe('https://api.example.com/public/hubspot/webhooks');
  });

  it('takes the first, trimmed value of comma-separated forwarded headers', () => {
    expect(
      requestUriForSignature({
        ...request,
        forwardedProto: ' https , http',
        forwardedHost: ' api.example.com ,internal-lb:8080',
      }),
    ).toBe('https://api.example.com/public/hubspot/webhooks');
  });

  it('falls back to the request values when forwarded headers are empty', () => {
    expect(requestUriForSignature({ ...request, forwardedProto: ' ', forwardedHost: ', other' })).toBe(
      'http://localhost:3000/public/hubspot/webhooks',
    );
  });

  it('lowercases the scheme', () => {
    expect(requestUriForSignature({ ...request, forwardedProto: 'HTTPS' })).toBe(
      'https://localhost:3000/public/hubspot/webhooks',
    );
  });

  it('keeps the query string and decodes the HubSpot characters in a rebuilt URL', () => {
    expect(
      requestUriForSignature({ ...request, originalUrl: '/public/hubspot/webhooks?a=1%3A2&b=%20%2C' }),
    ).toBe('http://localhost:3000/public/hubspot/webhooks?a=1:2&b=%20,');
  });

  it('uses the configured URL verbatim, ignoring request host, proto and path', () => {
    expect(
      requestUriForSignature({
        ...request,
        configuredUrl: 'https://hooks.example.com/public/hubspot/webhooks',
        forwardedProto: 'http',
        forwardedHost: 'evil.example.com',
        originalUrl: '/somewhere/else',
      }),
    ).toBe('https://hooks.example.com/public/hubspot/webhooks');
  });

  it('does not append a request query string the configured URL lacks', () => {
    expect(
      requestUriForSignature({
        ...request,
        configuredUrl: 'https://hooks.example.com/public/hubspot/webhooks',
        originalUrl: '/public/hubspot/webhooks?added=1',
      }),
    ).toBe('https://hooks.example.com/public/hubspot/webhooks');
  });

  it('keeps the configured URL query, decoding only the HubSpot characters', () => {
    expect(
      requestUriForSignature({
        ...request,
        configuredUrl: 'https://hooks.example.com/public/hubspot/webhooks?tag=a%2Cb&n=%20 \n',
      }),
    ).toBe('https://hooks.example.com/public/hubspot/webhooks?tag=a,b&n=%20');
  });

  it.each([undefined, '', '  '])(
    'rebuilds from the request when the configured URL is %j',
    (configuredUrl) => {
      expect(requestUriForSignature({ ...request, configuredUrl })).toBe(
        'http://localhost:3000/public/hubspot/webhooks',
      );
    },
  );
});

describe('parseSecrets', () => {
  it.each([
    [undefined, []],
    ['', []],
    [' , ,', []],
    ['one', ['one']],
    [' one , two,,three ', ['one', 'two', 'three']],
  ])('parses %j', (value, expected) => {
    expect(parseSecrets(value)).toEqual(expected);
  });
});

describe('signHubSpotRequest (test helper)', () => {
  it('defaults to POST and the current time', () => {
    const before = Date.now();
    const h = signHubSpotRequest({ secret: SECRET, uri: URI, body: BODY });
    const timestamp = Number(h['x-hubspot-request-timestamp']);

    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(Date.now());
    expect(h['x-hubspot-signature-v3']).toBe(
      hubspotSignatureV3(SECRET, 'POST', URI, BODY, h['x-hubspot-request-timestamp']),
    );
  });

  it('signs the decoded URI, as HubSpot does, so it verifies against requestUriForSignature', () => {
    const h = signHubSpotRequest({
      secret: SECRET,
      uri: 'http://localhost:3000/public/hubspot/webhooks?x=%3A%20',
      body: BODY,
      timestamp: NOW,
    });
    const uri = requestUriForSignature({
      protocol: 'http',
      host: 'localhost:3000',
      originalUrl: '/public/hubspot/webhooks?x=%3A%20',
    });

    expect(
      verify({ uri, signature: h['x-hubspot-signature-v3'], timestamp: h['x-hubspot-request-timestamp'] }),
    ).toEqual({ ok: true });
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { defineRoute, type AnyRoute } from '../../../src/api/route.js';
import { routes as allRoutes } from '../../../src/api/routes/index.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { TEST_HUBSPOT_SECRET } from '../../support/config.js';
import { signHubSpotRequest } from '../../support/hubspot-signer.js';

const PATH = '/public/hubspot/test-webhook';
const MINUTE = 60_000;

/** How many times the protected handler ran: a rejected request must never reach it. */
let handled = 0;
const testRoute: AnyRoute = defineRoute({
  method: 'post',
  path: PATH,
  summary: 'Echoes a signed request',
  tag: 'test',
  auth: 'hubspot_signature',
  responses: { 200: { description: 'Signed' } },
  handler: async (ctx) => {
    handled += 1;
    ctx.body = { ok: true, body: (ctx.request as { body?: unknown }).body };
  },
});

const startApp = (env: Record<string, string> = {}) =>
  startTestApp({ routes: [...allRoutes, testRoute], env });

const body = JSON.stringify([{ eventId: 1, objectId: 42, propertyName: 'firstname', propertyValue: 'Zoë' }]);

interface SendOptions {
  /** The URL the signature is computed over; default: the URL actually called. */
  signedUri?: string;
  secret?: string;
  signedBody?: string;
  sentBody?: string;
  timestamp?: number;
  method?: string;
  query?: string;
  headers?: Record<string, string>;
  omit?: Array<'x-hubspot-signature-v3' | 'x-hubspot-request-timestamp'>;
}

function send(target: TestApp, options: SendOptions = {}): Promise<Response> {
  const url = `${target.url}${PATH}${options.query ?? ''}`;
  const signature: Record<string, string> = signHubSpotRequest({
    secret: options.secret ?? TEST_HUBSPOT_SECRET,
    method: options.method ?? 'POST',
    uri: options.signedUri ?? url,
    body: options.signedBody ?? options.sentBody ?? body,
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
  });
  for (const name of options.omit ?? []) delete signature[name];
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signature, ...options.headers },
    body: options.sentBody ?? body,
  });
}

/** Sends, and asserts a 401 problem that the handler never saw. */
async function expectRejected(target: TestApp, options: SendOptions): Promise<void> {
  const before = handled;
  const response = await send(target, options);
  expect(response.status).toBe(401);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(await response.json()).toMatchObject({ status: 401, code: 'unauthorized' });
  expect(handled).toBe(before);
}

/** Sends, and asserts the handler ran once and saw the parsed body. */
async function expectAccepted(target: TestApp, options: SendOptions = {}): Promise<void> {
  const before = handled;
  const response = await send(target, options);
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ ok: true, body: JSON.parse(options.sentBody ?? body) });
  expect(handled).toBe(before + 1);
}

describe('HubSpot signature v3 middleware (docs/auth.md#hubspot-signature)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.close());

  it('accepts a request signed over method, URL, raw body and timestamp', async () => {
    await expectAccepted(app);
  });

  it('accepts timestamps 4 minutes old and 4 minutes ahead (clock skew)', async () => {
    await expectAccepted(app, { timestamp: Date.now() - 4 * MINUTE });
    await expectAccepted(app, { timestamp: Date.now() + 4 * MINUTE });
  });

  it('signs the raw bytes: whitespace and key order that JSON.parse drops still count', async () => {
    const spaced = '[ {"objectId": 42,   "eventId": 1} ]\n';
    await expectAccepted(app, { sentBody: spaced });
    await expectRejected(app, { signedBody: JSON.stringify(JSON.parse(spaced)), sentBody: spaced });
  });

  it('includes the query string, with the characters HubSpot decodes decoded', async () => {
    await expectAccepted(app, { query: '?portal=99&contact=a%40example.com' });
    await expectRejected(app, {
      query: '?portal=99',
      signedUri: `${app.url}${PATH}?portal=100`,
    });
  });

  it.each<[string, () => SendOptions]>([
    ['a tampered body', () => ({ signedBody: body, sentBody: body.replace('Zoë', 'Eve') })],
    ['a body signed without its last byte', () => ({ signedBody: body.slice(0, -1) })],
    ['a wrong secret', () => ({ secret: 'not-the-secret' })],
    ['a timestamp 6 minutes old', () => ({ timestamp: Date.now() - 6 * MINUTE })],
    ['a timestamp 6 minutes ahead', () => ({ timestamp: Date.now() + 6 * MINUTE })],
    ['a signature over another method', () => ({ method: 'GET' })],
    ['a signature over another path', () => ({ signedUri: `http://127.0.0.1:1/public/hubspot/webhooks` })],
    ['no signature header', () => ({ omit: ['x-hubspot-signature-v3'] })],
    ['no timestamp header', () => ({ omit: ['x-hubspot-request-timestamp'] })],
    ['neither header', () => ({ omit: ['x-hubspot-signature-v3', 'x-hubspot-request-timestamp'] })],
    ['an empty signature', () => ({ headers: { 'x-hubspot-signature-v3': '' } })],
    ['a timestamp that is not a number', () => ({ headers: { 'x-hubspot-request-timestamp': 'yesterday' } })],
    ['a timestamp in seconds', () => ({ timestamp: Math.floor(Date.now() / 1000) })],
    [
      'a v1 signature header only',
      () => ({ omit: ['x-hubspot-signature-v3'], headers: { 'x-hubspot-signature': 'abc' } }),
    ],
  ])('answers 401 to %s, and the handler never runs', async (_case, options) => {
    await expectRejected(app, options());
  });

  it('answers 401 to an unsigned request whatever its body, even malformed JSON', async () => {
    const before = handled;
    const response = await fetch(`${app.url}${PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(response.status).toBe(401);
    expect(handled).toBe(before);
  });

  it('rebuilds the URL from X-Forwarded-Proto and X-Forwarded-Host when HUBSPOT_WEBHOOK_URL is unset', async () => {
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'hooks.example.com' };
    await expectAccepted(app, { signedUri: `https://hooks.example.com${PATH}`, headers: forwarded });
    // Signed for the URL the proxy called, not the one HubSpot called: rejected.
    await expectRejected(app, { headers: forwarded });
    // The proxy's own hop, appended after HubSpot's, does not count.
    await expectAccepted(app, {
      signedUri: `https://hooks.example.com${PATH}`,
      headers: {
        'x-forwarded-proto': 'https, http',
        'x-forwarded-host': 'hooks.example.com, internal-lb.local',
      },
    });
  });
});

describe('secret rotation: HUBSPOT_CLIENT_SECRET=old,new', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp({ HUBSPOT_CLIENT_SECRET: 'old-secret, new-secret' });
  });
  afterAll(() => app.close());

  it('accepts requests signed with either secret', async () => {
    await expectAccepted(app, { secret: 'old-secret' });
    await expectAccepted(app, { secret: 'new-secret' });
  });

  it('rejects any other secret, the joined list and the default test secret', async () => {
    await expectRejected(app, { secret: 'older-secret' });
    await expectRejected(app, { secret: 'old-secret, new-secret' });
    await expectRejected(app, { secret: TEST_HUBSPOT_SECRET });
  });
});

describe('HUBSPOT_WEBHOOK_URL set', () => {
  const registered = `https://api.example.com${PATH}`;
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp({ HUBSPOT_WEBHOOK_URL: registered });
  });
  afterAll(() => app.close());

  it('accepts a request signed for the registered URL, though the app is called on 127.0.0.1', async () => {
    await expectAccepted(app, { signedUri: registered });
  });

  it('rejects a request signed for the URL actually called', async () => {
    await expectRejected(app, {});
  });

  it('ignores forwarded headers: the registered URL is the one signed', async () => {
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example.net' };
    await expectAccepted(app, { signedUri: registered, headers: forwarded });
    await expectRejected(app, { signedUri: `https://evil.example.net${PATH}`, headers: forwarded });
  });
});

describe('no HubSpot secret configured', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp({ HUBSPOT_CLIENT_SECRET: '' });
  });
  afterAll(() => app.close());

  it('rejects everything, including a request signed with an empty secret', async () => {
    expect(app.config.HUBSPOT_CLIENT_SECRET).toEqual([]);
    await expectRejected(app, { secret: '' });
    await expectRejected(app, {});
  });
});

/**
 * `npm run demo`: walks a new user through the main journeys against a running service
 * (`npm start`), printing what happened at each step and which integrations ran.
 * Uses the development defaults (dev-internal-key, dev-hubspot-secret) unless the
 * environment says otherwise: DEMO_API_URL, INTERNAL_API_KEYS, HUBSPOT_CLIENT_SECRET.
 */
import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { DEVELOPMENT_HUBSPOT_SECRET, DEVELOPMENT_INTERNAL_API_KEY } from '../shared/config.js';
import { hubspotSignatureV3 } from '../hubspot/signature.js';
import { developmentToken } from './development-token.js';

const api = (process.env.DEMO_API_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`).replace(/\/$/, '');
const internalKey = (process.env.INTERNAL_API_KEYS ?? DEVELOPMENT_INTERNAL_API_KEY).split(',')[0]!.trim();
const hubspotSecret = (process.env.HUBSPOT_CLIENT_SECRET ?? DEVELOPMENT_HUBSPOT_SECRET).split(',')[0]!.trim();
const sub = `demo-${randomUUID()}`;
const email = `${sub}@example.com`;
const token = await developmentToken(sub);
const integrations: Record<string, string> = {};
let failures = 0;

type Json = Record<string, unknown>;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: {
      ...(path.startsWith('/auth') ? { authorization: `Bearer ${token}` } : {}),
      ...(path.startsWith('/internal') ? { 'x-api-key': internalKey } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as Json };
}

function step(title: string, ok: boolean, detail: string): void {
  if (!ok) failures += 1;
  console.log(`${ok ? '✔' : '✘'} ${title}\n    ${detail}`);
}

async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    value = await read();
  }
  return value;
}

const user = `/auth/users/${sub}`;
const today = new Date().toISOString().slice(0, 10);
const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);

console.log(`Aligner Tracker demo against ${api} as ${sub}\n`);
const ready = await call('GET', '/ready').catch(() => undefined);
if (!ready || ready.status !== 200) {
  console.error(
    `The service is not ready at ${api} (start it with npm start): ${JSON.stringify(ready?.body ?? 'no answer')}`,
  );
  process.exit(1);
}
step('Service ready', true, JSON.stringify(ready.body.checks));

const profile = await call('PUT', user, {
  email,
  first_name: 'Demo',
  last_name: 'Patient',
  timezone: 'Europe/London',
  locale: 'en-GB',
});
step('Profile created', profile.status === 201, `PUT ${user} → ${profile.status}`);

const plan = await call('PUT', `${user}/treatment`, {
  total_aligners: 20,
  current_aligner: 3,
  change_interval_days: 14,
  started_on: daysAgo(40),
  current_aligner_started_on: daysAgo(10),
});
step(
  'Treatment plan set',
  plan.status === 201,
  `next change on ${plan.body.next_change_on}, ${plan.body.progress_percent}% done`,
);

const change = await call(
  'POST',
  `${user}/treatment/aligner-changes`,
  {},
  { 'idempotency-key': randomUUID() },
);
const treatment = (change.body.treatment ?? {}) as Json;
step(
  'Aligner changed',
  change.status === 201,
  `now on aligner ${treatment.current_aligner}, next change on ${treatment.next_change_on}`,
);

const reminder = await poll(
  async () =>
    ((await call('GET', `${user}/notifications?type=progress`)).body.items as Json[] | undefined)?.[0],
  (item) => item !== undefined && !['pending', 'cancel_requested'].includes(String(item.status)),
);
const reminderStatus = `${reminder?.status}${reminder?.status_reason ? ` (${reminder.status_reason})` : ''}`;
integrations.OneSignal =
  reminder?.status_reason === 'not_configured' ? 'skipped: not configured' : `ran: ${reminderStatus}`;
step(
  'Progress reminder planned by the worker',
  reminder !== undefined,
  `at ${reminder?.send_after}: ${reminderStatus}`,
);

const weekly = (await call('GET', `${user}/notifications?type=weekly_summary`)).body.items as
  Json[] | undefined;
step(
  'Weekly summary push planned (Sunday at reminder_time, figures computed at hand-over)',
  weekly?.[0] !== undefined,
  `week of ${weekly?.[0]?.week_of}, at ${weekly?.[0]?.send_after}: ${weekly?.[0]?.status}`,
);

const session = await call('POST', `${user}/wear-sessions`, { reason: 'meal' });
const ended = await call('PATCH', `${user}/wear-sessions/${session.body.id}`, {
  ended_at: new Date().toISOString(),
});
step(
  'Wear session started and ended',
  session.status === 201 && ended.status === 200,
  `session ${session.body.id}`,
);
const stats = await call('GET', `${user}/wear-stats?from=${daysAgo(6)}&to=${today}`);
const days = (stats.body.days ?? []) as Json[];
step(
  'Wear statistics (tracked time only: a new user has today, from registration)',
  stats.status === 200,
  `${days.length} day(s), today ${JSON.stringify(days.at(-1) ?? {})}, summary ${JSON.stringify(stats.body.summary ?? {})}`,
);
const readiness = await call('GET', `${user}/treatment`);
step(
  'Current aligner readiness',
  readiness.status === 200 && readiness.body.current_aligner_wear !== undefined,
  JSON.stringify(readiness.body.current_aligner_wear ?? {}),
);

const adherence = await call('GET', `/internal/users/by-email/${encodeURIComponent(email)}/adherence?days=7`);
step(
  'Back office: the patient’s adherence over 7 days (Jarvis)',
  adherence.status === 200,
  JSON.stringify(adherence.body ?? {}),
);
const atRisk = await call('GET', '/internal/adherence/at-risk?days=7&below_percent=85&limit=5');
step(
  'Back office: patients at risk, worst first (windows kept by the worker at each midnight)',
  atRisk.status === 200,
  `${(atRisk.body.items as Json[] | undefined)?.length ?? 0} on the first page`,
);

const image = await call('POST', `${user}/images`, { view: 'front', content_type: 'image/png' });
const upload = image.body.upload as { url: string; fields: Record<string, string> } | undefined;
if (image.status === 201 && upload) {
  // A real picture: the worker decodes it.
  const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#c0d0e0' } })
    .png()
    .toBuffer();
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
  form.append('file', new Blob([png], { type: 'image/png' }), 'front.png');
  const stored = await fetch(upload.url, { method: 'POST', body: form });
  const completed = await call('POST', `${user}/images/${image.body.id}/complete`, {});
  // Accepted as `processing`: the worker strips its metadata and makes a display version
  // and a thumbnail; only then are there URLs (docs/resources.md#photos).
  const processed = await poll(
    () => call('GET', `${user}/images/${image.body.id}`),
    (current) => current.status !== 200 || current.body.status !== 'processing',
  );
  const fetchJpeg = async (url: unknown) => {
    if (typeof url !== 'string') return false;
    const response = await fetch(url);
    const bytes = Buffer.from(await response.arrayBuffer());
    return response.ok && bytes[0] === 0xff && bytes[1] === 0xd8; // a JPEG, not the PNG sent
  };
  const served =
    processed.body.status === 'ready' &&
    (await fetchJpeg(processed.body.url)) &&
    (await fetchJpeg(processed.body.thumbnail_url));
  integrations.S3 =
    stored.ok && served
      ? 'ran'
      : `failed (upload ${stored.status}, complete ${completed.status}, ${String(processed.body.status)})`;
  step(
    'Photo uploaded to S3, verified, processed by the worker and downloaded (display version and thumbnail)',
    completed.status === 200 && served,
    `image ${image.body.id}: ${png.length} bytes sent, ${String(completed.body.status)} then ${String(processed.body.status)}`,
  );
} else {
  integrations.S3 = `failed (${image.status})`;
  step('Photo upload', false, `POST images → ${image.status} ${JSON.stringify(image.body)}`);
}

const dentistId = 4000 + Math.floor(Math.random() * 1000);
const dentist = await call('PUT', `/internal/dentists/${dentistId}`, {
  name: 'Dr Demo',
  practice_name: 'Demo Smiles',
  city: 'London',
});
const requested = await call('POST', `${user}/dentist-change-requests`, { dentist_id: dentistId });
const request = await poll(
  async () => (await call('GET', `${user}/dentist-change-requests/${requested.body.id}`)).body,
  (body) => body?.status !== 'pending',
);
integrations.Jarvis =
  request?.status === 'failed' && request.failure_reason === 'not_configured'
    ? 'skipped: not configured'
    : `ran: ${request?.status}`;
step(
  'Dentist change requested through the worker',
  dentist.status < 300 && requested.status === 202,
  `request ${requested.body.id}: ${request?.status}`,
);

const contactId = 900_000 + Math.floor(Math.random() * 100_000);
const events = JSON.stringify([
  {
    eventId: Date.now(),
    subscriptionId: 1,
    portalId: 1,
    appId: 1,
    occurredAt: Date.now(),
    subscriptionType: 'contact.propertyChange',
    attemptNumber: 0,
    objectId: contactId,
    propertyName: 'email',
    propertyValue: email,
    changeSource: 'CRM_UI',
  },
  {
    eventId: Date.now() + 1,
    subscriptionId: 1,
    portalId: 1,
    appId: 1,
    occurredAt: Date.now(),
    subscriptionType: 'contact.propertyChange',
    attemptNumber: 0,
    objectId: contactId,
    propertyName: 'lastname',
    propertyValue: 'FromHubSpot',
    changeSource: 'CRM_UI',
  },
]);
const timestamp = String(Date.now());
const webhookUri = `${api}/public/hubspot/webhooks`;
const webhook = await call('POST', '/public/hubspot/webhooks', events, {
  'x-hubspot-request-timestamp': timestamp,
  'x-hubspot-signature-v3': hubspotSignatureV3(hubspotSecret, 'POST', webhookUri, events, timestamp),
});
const applied = await poll(
  async () => (await call('GET', user)).body,
  (body) => body?.last_name === 'FromHubSpot',
);
integrations.HubSpot = webhook.status === 200 ? 'ran (signed webhook)' : `failed (${webhook.status})`;
step(
  'Signed HubSpot webhook acknowledged and applied',
  webhook.status === 200 && applied?.last_name === 'FromHubSpot',
  `${JSON.stringify(webhook.body)}; last name now ${applied?.last_name}`,
);

const exported = await call('GET', `${user}/export`);
step('Data export', exported.status === 200, `${Object.keys(exported.body ?? {}).length} sections`);

console.log('\nIntegrations:');
for (const [name, outcome] of Object.entries(integrations)) console.log(`  ${name.padEnd(9)} ${outcome}`);
console.log(failures === 0 ? '\nAll journeys completed.' : `\n${failures} step(s) failed.`);
process.exit(failures === 0 ? 0 : 1);

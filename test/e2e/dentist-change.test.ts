import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { developmentToken } from '../../src/dev/development-token.js';
import { waitFor } from '../support/jobs.js';
import { JarvisStub } from '../support/stubs/jarvis-stub.js';
import { startStack, type Stack } from '../support/processes.js';

// The API and the worker as separate processes, as in production, against a stub
// Jarvis on loopback (docs/dentists.md#jarvis, docs/internal-api.md; issue 6 acceptance): request → submitted →
// assignment through the internal API → completed, as the app sees it.
const stub = new JarvisStub();
const INTERNAL_KEY = 'e2e-internal-key';
const JARVIS_KEY = 'e2e-jarvis-key';
const sub = 'e2e-dentist-user';
const email = "o'brien+aligners@example.co.uk";
let stack: Stack;
let token: string;

beforeAll(async () => {
  await stub.start();
  stack = await startStack({
    INTERNAL_API_KEYS: INTERNAL_KEY,
    JARVIS_API_URL: stub.url,
    JARVIS_API_KEY: JARVIS_KEY,
  });
  token = await developmentToken(sub);
}, 120000);

afterAll(async () => {
  await stack?.stop();
  await stub.stop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are read field by field below
type Json = any;

async function call(
  method: string,
  path: string,
  options: { json?: unknown; internal?: boolean } = {},
): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${stack.base}${path}`, {
    method,
    headers: {
      ...(options.internal ? { 'x-api-key': INTERNAL_KEY } : { authorization: `Bearer ${token}` }),
      ...(options.json !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(options.json !== undefined ? { body: JSON.stringify(options.json) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

describe('dentist change end to end (API + worker processes, stub Jarvis)', () => {
  it('request → submitted at Jarvis → assigned through the internal API → completed, visible to the app', async () => {
    expect(
      (await call('PUT', `/auth/users/${sub}`, { json: { email, timezone: 'Europe/London' } })).status,
    ).toBe(201);
    for (const [id, name] of [
      [42, 'Dr Forty-Two'],
      [7, 'Dr Seven'],
    ] as const) {
      const put = await call('PUT', `/internal/dentists/${id}`, {
        internal: true,
        json: { name, practice_name: 'Harbour Dental', city: 'Plymouth' },
      });
      expect(put.status).toBe(201);
    }
    await call('PUT', `/internal/users/by-email/${encodeURIComponent(email)}/dentist`, {
      internal: true,
      json: { dentist_id: 7 },
    });
    const listed = await call('GET', '/auth/dentists?q=forty');
    expect(listed.body.items).toEqual([
      { id: 42, name: 'Dr Forty-Two', practice_name: 'Harbour Dental', city: 'Plymouth' },
    ]);

    const created = await call('POST', `/auth/users/${sub}/dentist-change-requests`, {
      json: { dentist_id: 42 },
    });
    expect(created).toEqual({ status: 202, body: { id: expect.any(String), status: 'pending' } });
    const requestPath = `/auth/users/${sub}/dentist-change-requests/${created.body.id}`;

    const submitted = await waitFor(
      () => call('GET', requestPath),
      (result) => result.body.status !== 'pending',
    );
    expect(submitted.body).toMatchObject({
      status: 'submitted',
      jarvis_ticket_id: 'ticket-1',
      dentist_id: 42,
    });
    // Exactly the seed's call, made by the worker.
    expect(stub.calls).toHaveLength(1);
    expect(stub.calls[0]).toMatchObject({
      method: 'POST',
      rawPath: "/api/smilewhite_app/customer/change-dentist/o'brien%2Baligners%40example.co.uk/",
      authorization: `Api-Key ${JARVIS_KEY}`,
      contentType: 'application/json',
      rawBody: '{"assigned_dentist": 42}',
    });
    // A second request while this one is open is refused.
    expect(
      (await call('POST', `/auth/users/${sub}/dentist-change-requests`, { json: { dentist_id: 42 } })).status,
    ).toBe(409);

    // Jarvis's staff make the change, and Jarvis tells us.
    const assigned = await call(
      'PUT',
      `/internal/users/by-email/${encodeURIComponent(email.toUpperCase())}/dentist`,
      {
        internal: true,
        json: { dentist_id: 42 },
      },
    );
    expect(assigned).toMatchObject({ status: 200, body: { completed_request_id: created.body.id } });

    expect((await call('GET', requestPath)).body).toMatchObject({
      status: 'completed',
      jarvis_ticket_id: 'ticket-1',
    });
    const profile = await call('GET', `/auth/users/${sub}`);
    expect(profile.body.dentist).toEqual({
      id: 42,
      name: 'Dr Forty-Two',
      practice_name: 'Harbour Dental',
      city: 'Plymouth',
    });
    const list = await call('GET', `/auth/users/${sub}/dentist-change-requests`);
    expect(list.body.items.map((item: { status: string }) => item.status)).toEqual(['completed']);
    expect(stub.calls).toHaveLength(1);
    // The email never reaches a log line of either process.
    expect(stack.api.output() + stack.worker.output()).not.toMatch(/brien/i);
  }, 60000);

  it('a Jarvis 409 on a fresh request ends already_pending, and the app can ask again', async () => {
    stub.answerNext({ status: 409, body: { detail: 'Dentist change already pending' } });
    const created = await call('POST', `/auth/users/${sub}/dentist-change-requests`, {
      json: { dentist_id: 7 },
    });
    expect(created.status).toBe(202);
    const ended = await waitFor(
      () => call('GET', `/auth/users/${sub}/dentist-change-requests/${created.body.id}`),
      (result) => result.body.status !== 'pending',
    );
    expect(ended.body).toMatchObject({ status: 'already_pending', jarvis_ticket_id: null });
    expect(
      (await call('POST', `/auth/users/${sub}/dentist-change-requests`, { json: { dentist_id: 7 } })).status,
    ).toBe(202);
  }, 60000);
});

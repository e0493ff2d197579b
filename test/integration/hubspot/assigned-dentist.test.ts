import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { processHubspotEvent } from '../../../src/hubspot/process-event-job.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { createDentistChangeRequest, createUser } from '../../support/factories.js';
import { deliver, hubspotEvent, linkedContact } from '../../support/hubspot.js';
import { fakeJob } from '../../support/jobs.js';
import { workerContextFor } from '../../support/worker.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const internal = (path: string, init: RequestInit & { json?: unknown } = {}) =>
  app.request(path, { ...init, headers: { 'x-api-key': app.config.INTERNAL_API_KEYS[0]! } });

describe('assigned_dentist from HubSpot', () => {
  it('fails while the dentist is unknown, and a replay assigns it once Jarvis has created it', async () => {
    const dentistId = 880_000 + Math.floor(Math.random() * 10_000);
    const user = await createUser(app.deps.knex);
    const context = workerContextFor(app);
    const objectId = await linkedContact(app, context, user.email);

    await deliver(app, [
      hubspotEvent({ objectId, propertyName: 'assigned_dentist', propertyValue: String(dentistId) }),
    ]);
    const event = await app.deps
      .knex('hubspot_events')
      .where({ object_id: objectId, property_name: 'assigned_dentist' })
      .first();
    await expect(processHubspotEvent(fakeJob(event.id, 7, 8), context)).rejects.toThrow(
      `${dentistId} is not an active dentist`,
    );
    expect((await app.deps.knex('hubspot_events').where({ id: event.id }).first()).status).toBe('failed');

    // Jarvis creates the dentist; the user had asked for them; ops replay the event.
    expect(
      (await internal(`/internal/dentists/${dentistId}`, { method: 'PUT', json: { name: 'Dr Late' } }))
        .status,
    ).toBe(201);
    const request = await createDentistChangeRequest(app.deps.knex, {
      user_id: user.id,
      dentist_id: dentistId,
      status: 'submitted',
    });
    expect((await internal(`/internal/hubspot/events/${event.id}/replay`, { method: 'POST' })).status).toBe(
      202,
    );
    await processHubspotEvent(fakeJob(event.id), context);

    expect((await app.deps.knex('users').where({ id: user.id }).first()).dentist_id).toBe(dentistId);
    expect((await app.deps.knex('dentist_change_requests').where({ id: request.id }).first()).status).toBe(
      'completed',
    );
    expect((await app.deps.knex('hubspot_events').where({ id: event.id }).first()).status).toBe('processed');
  });
});

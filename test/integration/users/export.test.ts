import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, tokenFor, type TestApp } from '../../support/app.js';
import { createReminder, createUser, createWearSession } from '../../support/factories.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

describe('GET /auth/users/{cognito_sub}/export', () => {
  it('returns everything held about the user, and nothing of anyone else', async () => {
    const user = await createUser(app.deps.knex);
    const other = await createUser(app.deps.knex);
    const token = await tokenFor(user.cognito_sub);
    const plan = {
      total_aligners: 12,
      current_aligner: 2,
      change_interval_days: 14,
      started_on: '2026-01-01',
      current_aligner_started_on: '2026-01-15',
    };
    const base = `/auth/users/${user.cognito_sub}`;
    expect((await app.request(`${base}/treatment`, { method: 'PUT', token, json: plan })).status).toBe(201);
    expect(
      (await app.request(`${base}/settings`, { method: 'PUT', token, json: { reminder_time: '07:45' } }))
        .status,
    ).toBe(200);
    const session = await createWearSession(app.deps.knex, { user_id: user.id });
    await createWearSession(app.deps.knex, { user_id: other.id });
    const reminder = await createReminder(app.deps.knex, {
      user_id: user.id,
      type: 'wear',
      wear_session_id: session.id,
    });

    await app.deps.knex('app_contact_days').insert({ user_id: user.id, day: '2026-01-05' });
    const response = await app.request(`${base}/export`, { token });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toContain('attachment');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as Record<string, unknown> & {
      wear_sessions: Array<{ id: string }>;
      notifications: Array<{ id: string }>;
    };
    expect(body.profile).toMatchObject({ cognito_sub: user.cognito_sub, email: user.email });
    expect(body.treatment).toMatchObject({ total_aligners: 12, current_aligner: 2 });
    expect(body.settings).toEqual({
      progress_reminders: true,
      reminder_time: '07:45',
      wear_reminders: true,
      wear_reminder_after_minutes: 30,
      weekly_summary: true,
    });
    // With today's, recorded by the test's earlier requests.
    expect(body.app_contact_days).toContain('2026-01-05');
    expect(body.wear_sessions.map((s) => s.id)).toEqual([session.id]);
    expect(body.notifications.map((n) => n.id)).toContain(reminder.id);
    expect(body).toHaveProperty('images', []);
    expect(body).toHaveProperty('aligner_changes', []);
    expect(body).toHaveProperty('treatment_extensions', []);
    expect(body).toHaveProperty('hubspot_contact', null);
    expect(JSON.stringify(body)).not.toContain(other.cognito_sub);
  });

  it('403 for another user, 404 without a profile, 401 without a token', async () => {
    const me = randomUUID();
    const token = await tokenFor(me);
    expect((await app.request(`/auth/users/${randomUUID()}/export`, { token })).status).toBe(403);
    expect((await app.request(`/auth/users/${me}/export`, { token })).status).toBe(404);
    expect((await app.request(`/auth/users/${me}/export`)).status).toBe(401);
  });
});

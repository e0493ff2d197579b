import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../../support/app.js';
import { call, newPatient } from '../../support/wear-fixtures.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const openSessions = (userId: string) =>
  app.deps.knex('wear_sessions').where({ user_id: userId }).whereNull('ended_at').select('id');

describe('concurrent starts (issue 3 acceptance)', () => {
  it('two POST /wear-sessions at once (no id) leave exactly one open session; the other is 409', async () => {
    const patient = await newPatient(app);
    // 100 rounds: before starts took the user lock, about one run in three of these
    // caught Postgres's deadlock detector ending a race (exclusion-constraint inserts
    // waiting on each other), which answered 409 concurrent_update.
    for (let round = 1; round <= 100; round += 1) {
      const answers = await Promise.all([0, 1].map(() => call(app, patient, 'POST', '/wear-sessions', {})));
      expect([round, answers.map((answer) => answer.status).sort()]).toEqual([round, [201, 409]]);
      const winner = answers.find((answer) => answer.status === 201)!;
      const loser = answers.find((answer) => answer.status === 409)!;
      expect(loser.body).toMatchObject({ code: 'session_already_open' });
      expect(await openSessions(patient.user.id)).toEqual([{ id: winner.body.id }]);

      // End it, at least a millisecond after it started, and let the clock pass that end.
      const endedAt = Math.max(Date.now(), Date.parse(winner.body.started_at) + 1);
      const ended = await call(app, patient, 'PATCH', `/wear-sessions/${winner.body.id}`, {
        ended_at: new Date(endedAt).toISOString(),
      });
      expect(ended.status).toBe(200);
      while (Date.now() <= endedAt) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(await app.deps.knex('wear_sessions').where({ user_id: patient.user.id })).toHaveLength(100);
    expect(await openSessions(patient.user.id)).toEqual([]);
    // Exactly one live wear reminder was made per session, and every one was cancelled at its end.
    expect(
      await app.deps
        .knex('reminders')
        .where({ user_id: patient.user.id, type: 'wear' })
        .whereIn('status', ['pending', 'scheduled']),
    ).toHaveLength(0);
    expect(await app.deps.knex('reminders').where({ user_id: patient.user.id, type: 'wear' })).toHaveLength(
      100,
    );
  });

  it('with a backdated start racing a start now, one wins and the other is 409', async () => {
    const patient = await newPatient(app);
    const backdated = new Date(Date.now() - 10 * 60_000).toISOString();
    const answers = await Promise.all([
      call(app, patient, 'POST', '/wear-sessions', {}),
      call(app, patient, 'POST', '/wear-sessions', { started_at: backdated }),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409]);
    expect(await openSessions(patient.user.id)).toHaveLength(1);
  });

  it('five at once: one 201, four 409', async () => {
    const patient = await newPatient(app);
    const answers = await Promise.all(
      [0, 1, 2, 3, 4].map(() => call(app, patient, 'POST', '/wear-sessions', {})),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409, 409, 409, 409]);
    expect(await openSessions(patient.user.id)).toHaveLength(1);
  });
});

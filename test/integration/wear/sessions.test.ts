import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../../support/app.js';
import { createWearSession } from '../../support/factories.js';
import { call, ISO_MILLIS, minutesAgo, newPatient, type Patient } from '../../support/wear-fixtures.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const stored = (id: string) => app.deps.knex('wear_sessions').where({ id }).first();
const liveWearReminders = (sessionId: string) =>
  app.deps
    .knex('reminders')
    .where({ wear_session_id: sessionId, type: 'wear' })
    .whereIn('status', ['pending', 'scheduled'])
    .select('id', 'send_after');

describe('POST /wear-sessions', () => {
  it('starts a session now (201) and plans its wear reminder', async () => {
    const patient = await newPatient(app);
    const before = Date.now();
    const started = await call(app, patient, 'POST', '/wear-sessions', { reason: 'meal' });
    expect(started.status).toBe(201);
    expect(started.body).toEqual({
      id: expect.any(String),
      started_at: expect.stringMatching(ISO_MILLIS),
      ended_at: null,
      reason: 'meal',
      created_at: expect.stringMatching(ISO_MILLIS),
      updated_at: expect.stringMatching(ISO_MILLIS),
    });
    const startedAt = Date.parse(started.body.started_at);
    expect(startedAt).toBeGreaterThanOrEqual(before);
    expect(startedAt).toBeLessThanOrEqual(Date.now());
    expect(await stored(started.body.id)).toMatchObject({ user_id: patient.user.id, ended_at: null });
    const reminders = await liveWearReminders(started.body.id);
    expect(reminders).toHaveLength(1);
    expect(reminders[0].send_after.getTime()).toBe(startedAt + 30 * 60_000);
  });

  it('accepts an empty body and a started_at with an offset, stored as UTC', async () => {
    const patient = await newPatient(app);
    const started = await call(app, patient, 'POST', '/wear-sessions', {
      started_at: '2026-03-29T01:30:00.123456+01:00',
    });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ started_at: '2026-03-29T00:30:00.123Z', reason: null });
    const ended = await call(app, patient, 'PATCH', `/wear-sessions/${started.body.id}`, {
      ended_at: '2026-03-29T00:45:00Z',
    });
    expect(ended.status).toBe(200);
    const bare = await app.request(`${patient.base}/wear-sessions`, { method: 'POST', token: patient.token });
    expect(bare.status).toBe(201);
  });

  it('logs a session already over between recorded ones (201, no reminder), and refuses one that overlaps', async () => {
    const patient = await newPatient(app);
    const open = await call(app, patient, 'POST', '/wear-sessions', { started_at: minutesAgo(30) });
    expect(open.status).toBe(201);
    // Forgotten this morning: logged afterwards, while a later session is still open.
    const [startedAt, endedAt] = [minutesAgo(300), minutesAgo(240)];
    const logged = await call(app, patient, 'POST', '/wear-sessions', {
      started_at: startedAt,
      ended_at: endedAt,
      reason: 'meal',
    });
    expect(logged.status).toBe(201);
    expect(logged.body).toMatchObject({
      started_at: startedAt,
      ended_at: endedAt,
      reason: 'meal',
    });
    expect(await liveWearReminders(logged.body.id)).toEqual([]);

    const overlapping = await call(app, patient, 'POST', '/wear-sessions', {
      started_at: minutesAgo(250),
      ended_at: minutesAgo(200),
    });
    expect(overlapping.status).toBe(422);
    expect(overlapping.body).toMatchObject({
      code: 'overlapping_session',
      errors: [
        { path: 'body.started_at', message: 'overlaps another wear session' },
        { path: 'body.ended_at', message: 'overlaps another wear session' },
      ],
    });
    expect(await app.deps.knex('wear_sessions').where({ user_id: patient.user.id })).toHaveLength(2);
  });

  it('refuses an ended_at without started_at, or not after it, and changes nothing', async () => {
    const patient = await newPatient(app);
    const noStart = await call(app, patient, 'POST', '/wear-sessions', { ended_at: minutesAgo(5) });
    expect(noStart.status).toBe(422);
    expect(noStart.body.errors).toEqual([
      { path: 'body.started_at', message: 'a session logged with ended_at needs its started_at' },
    ]);
    const backwards = await call(app, patient, 'POST', '/wear-sessions', {
      started_at: minutesAgo(5),
      ended_at: minutesAgo(10),
    });
    expect(backwards.status).toBe(422);
    expect(backwards.body.errors).toEqual([{ path: 'body.ended_at', message: 'must be after started_at' }]);
    expect(await app.deps.knex('wear_sessions').where({ user_id: patient.user.id })).toHaveLength(0);
  });

  it('a retry with the same client id is 200 with the stored session; the first write wins', async () => {
    const patient = await newPatient(app);
    const id = randomUUID();
    const first = await call(app, patient, 'POST', '/wear-sessions', {
      id,
      started_at: minutesAgo(10),
      reason: 'drink',
    });
    expect(first.status).toBe(201);
    expect(first.body.id).toBe(id);
    const retry = await call(app, patient, 'POST', '/wear-sessions', {
      id,
      started_at: minutesAgo(10),
      reason: 'drink',
    });
    expect(retry).toEqual({ status: 200, body: first.body });
    const different = await call(app, patient, 'POST', '/wear-sessions', { id, reason: 'cleaning' });
    expect(different).toEqual({ status: 200, body: first.body });
    // Still the stored session once it has ended: a late retry does not start another.
    await call(app, patient, 'PATCH', `/wear-sessions/${id}`, { ended_at: minutesAgo(1) });
    const late = await call(app, patient, 'POST', '/wear-sessions', { id });
    expect(late.status).toBe(200);
    expect(late.body.ended_at).toEqual(expect.stringMatching(ISO_MILLIS));
    expect(
      await app.deps.knex('wear_sessions').where({ user_id: patient.user.id }).count({ n: '*' }),
    ).toEqual([{ n: 1 }]);
    expect(await liveWearReminders(id)).toHaveLength(0);
  });

  it('an upper-case client id is the same id', async () => {
    const patient = await newPatient(app);
    const id = randomUUID();
    const first = await call(app, patient, 'POST', '/wear-sessions', { id: id.toUpperCase() });
    expect(first.status).toBe(201);
    expect(first.body.id).toBe(id);
    expect((await call(app, patient, 'POST', '/wear-sessions', { id })).status).toBe(200);
  });

  it("another user's client id is 404 and nothing is stored or revealed", async () => {
    const owner = await newPatient(app);
    const stranger = await newPatient(app);
    const session = await createWearSession(app.deps.knex, { user_id: owner.user.id });
    const answer = await call(app, stranger, 'POST', '/wear-sessions', { id: session.id });
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ code: 'not_found', detail: 'No such wear session' });
    expect(await app.deps.knex('wear_sessions').where({ user_id: stranger.user.id })).toHaveLength(0);
  });

  it('a second open session is 409 session_already_open, naming nothing', async () => {
    const patient = await newPatient(app);
    const open = await call(app, patient, 'POST', '/wear-sessions', { started_at: minutesAgo(20) });
    expect(open.status).toBe(201);
    for (const json of [
      {},
      { started_at: minutesAgo(30) },
      { started_at: minutesAgo(5), id: randomUUID() },
    ]) {
      const second = await call(app, patient, 'POST', '/wear-sessions', json);
      expect(second.status).toBe(409);
      expect(second.body).toMatchObject({ code: 'session_already_open', status: 409 });
      expect(JSON.stringify(second.body)).not.toContain(open.body.id);
    }
    expect(await app.deps.knex('wear_sessions').where({ user_id: patient.user.id })).toHaveLength(1);
  });

  it('a start inside or before a recorded session is 422 overlapping_session', async () => {
    const patient = await newPatient(app);
    await createWearSession(app.deps.knex, {
      user_id: patient.user.id,
      started_at: new Date(minutesAgo(60)),
      ended_at: new Date(minutesAgo(30)),
    });
    for (const started_at of [minutesAgo(45), minutesAgo(90)]) {
      const answer = await call(app, patient, 'POST', '/wear-sessions', { started_at });
      expect(answer.status).toBe(422);
      expect(answer.body).toMatchObject({
        code: 'overlapping_session',
        errors: [{ path: 'body.started_at', message: expect.any(String) }],
      });
    }
    // Touching is not overlapping: a session may start the instant the last one ended.
    const adjacent = await call(app, patient, 'POST', '/wear-sessions', { started_at: minutesAgo(30) });
    expect(adjacent.status).toBe(201);
  });

  it('tolerates a phone clock a little ahead, not more', async () => {
    const patient = await newPatient(app);
    const ahead = new Date(Date.now() + 30_000).toISOString();
    expect((await call(app, patient, 'POST', '/wear-sessions', { started_at: ahead })).status).toBe(201);
    const other = await newPatient(app);
    const future = new Date(Date.now() + 5 * 60_000).toISOString();
    const answer = await call(app, other, 'POST', '/wear-sessions', { started_at: future });
    expect(answer.status).toBe(422);
    expect(answer.body.errors).toEqual([{ path: 'body.started_at', message: 'must not be in the future' }]);
  });

  it('two concurrent retries with the same id store one session: 201 and 200', async () => {
    const patient = await newPatient(app);
    const id = randomUUID();
    const answers = await Promise.all(
      [0, 1].map(() => call(app, patient, 'POST', '/wear-sessions', { id, reason: 'meal' })),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 201]);
    expect(answers[0]!.body).toEqual(answers[1]!.body);
    expect(await app.deps.knex('wear_sessions').where({ user_id: patient.user.id })).toHaveLength(1);
  });
});

describe('PATCH /wear-sessions/{id}', () => {
  it('ends an open session (200) and cancels its wear reminder', async () => {
    const patient = await newPatient(app);
    const started = await call(app, patient, 'POST', '/wear-sessions', { started_at: minutesAgo(10) });
    expect(await liveWearReminders(started.body.id)).toHaveLength(1);
    const endedAt = minutesAgo(1);
    const ended = await call(app, patient, 'PATCH', `/wear-sessions/${started.body.id}`, {
      ended_at: endedAt,
    });
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({
      id: started.body.id,
      started_at: started.body.started_at,
      ended_at: endedAt,
    });
    expect(Date.parse(ended.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(started.body.updated_at));
    expect(await liveWearReminders(started.body.id)).toHaveLength(0);
    expect(
      await app.deps.knex('reminders').where({ wear_session_id: started.body.id }).pluck('status'),
    ).toEqual(['cancelled']);
  });

  it('edits the start and the reason of a recorded session; reason can be cleared', async () => {
    const patient = await newPatient(app);
    const session = await createWearSession(app.deps.knex, {
      user_id: patient.user.id,
      started_at: new Date('2026-01-10T12:00:00Z'),
      ended_at: new Date('2026-01-10T12:40:00Z'),
    });
    const edited = await call(app, patient, 'PATCH', `/wear-sessions/${session.id}`, {
      started_at: '2026-01-10T12:10:00+00:00',
      reason: 'cleaning',
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({
      started_at: '2026-01-10T12:10:00.000Z',
      ended_at: '2026-01-10T12:40:00.000Z',
      reason: 'cleaning',
    });
    const cleared = await call(app, patient, 'PATCH', `/wear-sessions/${session.id}`, { reason: null });
    expect(cleared.body.reason).toBeNull();
  });

  it.each([
    ['an end before the start', { ended_at: '2026-01-10T11:00:00Z' }, 'body.ended_at'],
    ['an end equal to the start', { ended_at: '2026-01-10T12:00:00Z' }, 'body.ended_at'],
    ['a start after the end', { started_at: '2026-01-10T13:00:00Z' }, 'body.started_at'],
    [
      'both, inverted',
      { started_at: '2026-01-10T12:30:00Z', ended_at: '2026-01-10T12:20:00Z' },
      'body.ended_at',
    ],
  ])('%s is 422 with the path, and the row is unchanged', async (_case, json, path) => {
    const patient = await newPatient(app);
    const session = await createWearSession(app.deps.knex, {
      user_id: patient.user.id,
      started_at: new Date('2026-01-10T12:00:00Z'),
      ended_at: new Date('2026-01-10T12:40:00Z'),
    });
    const answer = await call(app, patient, 'PATCH', `/wear-sessions/${session.id}`, json);
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ code: 'validation_failed' });
    expect(answer.body.errors.map((error: { path: string }) => error.path)).toEqual([path]);
    expect(await stored(session.id)).toEqual(session);
  });

  it('an edit that would overlap another session is 422 overlapping_session; the row is unchanged', async () => {
    const patient = await newPatient(app);
    const earlier = await createWearSession(app.deps.knex, {
      user_id: patient.user.id,
      started_at: new Date('2026-02-01T08:00:00Z'),
      ended_at: new Date('2026-02-01T08:30:00Z'),
    });
    const later = await createWearSession(app.deps.knex, {
      user_id: patient.user.id,
      started_at: new Date('2026-02-01T12:00:00Z'),
      ended_at: new Date('2026-02-01T12:30:00Z'),
    });
    const open = await call(app, patient, 'POST', '/wear-sessions', { started_at: minutesAgo(5) });
    const cases: Array<[string, Record<string, string>, string[]]> = [
      [earlier.id, { ended_at: '2026-02-01T12:15:00Z' }, ['body.ended_at']],
      [later.id, { started_at: '2026-02-01T08:15:00Z' }, ['body.started_at']],
      [
        later.id,
        { started_at: '2026-02-01T07:00:00Z', ended_at: '2026-02-01T09:00:00Z' },
        ['body.started_at', 'body.ended_at'],
      ],
      // A recorded session may not run into the open one.
      [later.id, { ended_at: minutesAgo(1) }, ['body.ended_at']],
    ];
    for (const [id, json, paths] of cases) {
      const answer = await call(app, patient, 'PATCH', `/wear-sessions/${id}`, json);
      expect(answer.status).toBe(422);
      expect(answer.body.code).toBe('overlapping_session');
      expect(answer.body.errors.map((error: { path: string }) => error.path)).toEqual(paths);
    }
    expect(await stored(earlier.id)).toEqual(earlier);
    expect(await stored(later.id)).toEqual(later);
    expect((await stored(open.body.id)).ended_at).toBeNull();
  });

  it("another user's session id and an unknown one are the same 404; nothing changes", async () => {
    const owner = await newPatient(app);
    const stranger = await newPatient(app);
    const session = await createWearSession(app.deps.knex, { user_id: owner.user.id });
    for (const id of [session.id, randomUUID()]) {
      const answer = await call(app, stranger, 'PATCH', `/wear-sessions/${id}`, { reason: 'other' });
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ code: 'not_found', detail: 'No such wear session' });
    }
    expect(await stored(session.id)).toEqual(session);
  });
});

describe('DELETE /wear-sessions/{id}', () => {
  it('deletes (204), cancels the live reminder, and is 404 the second time', async () => {
    const patient = await newPatient(app);
    const started = await call(app, patient, 'POST', '/wear-sessions', {});
    const path = `/wear-sessions/${started.body.id}`;
    const deleted = await app.request(`${patient.base}${path}`, { method: 'DELETE', token: patient.token });
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe('');
    expect(await stored(started.body.id)).toBeUndefined();
    expect(await liveWearReminders(started.body.id)).toHaveLength(0);
    expect((await call(app, patient, 'DELETE', path)).status).toBe(404);
    // With the open one gone, a new session can start.
    expect((await call(app, patient, 'POST', '/wear-sessions', {})).status).toBe(201);
  });

  it("another user's session id is 404 and the session stays", async () => {
    const owner = await newPatient(app);
    const stranger = await newPatient(app);
    const session = await createWearSession(app.deps.knex, { user_id: owner.user.id });
    const answer = await call(app, stranger, 'DELETE', `/wear-sessions/${session.id}`);
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ code: 'not_found' });
    expect(await stored(session.id)).toEqual(session);
  });
});

describe('GET /wear-sessions', () => {
  let patient: Patient;
  const at = (time: string) => new Date(`2026-05-10T${time}:00Z`);
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    patient = await newPatient(app);
    const rows: Array<[string, string, string | null]> = [
      ['a', '08:00', '09:00'],
      ['b', '10:00', '11:00'],
      ['c', '12:00', '13:00'],
      ['d', '14:00', '15:00'],
    ];
    for (const [name, start, end] of rows) {
      const session = await createWearSession(app.deps.knex, {
        user_id: patient.user.id,
        started_at: at(start),
        ended_at: end ? at(end) : null,
      });
      ids[name] = session.id;
    }
    const open = await call(app, patient, 'POST', '/wear-sessions', { started_at: minutesAgo(5) });
    ids.open = open.body.id;
    // Someone else's sessions never show.
    const stranger = await newPatient(app);
    await createWearSession(app.deps.knex, {
      user_id: stranger.user.id,
      started_at: at('10:30'),
      ended_at: null,
    });
  });

  const list = async (query: string) => {
    const answer = await call(app, patient, 'GET', `/wear-sessions${query}`);
    expect(answer.status).toBe(200);
    return answer.body as { items: Array<{ id: string }>; next_cursor: string | null };
  };
  const namesOf = (page: { items: Array<{ id: string }> }) =>
    page.items.map((item) => Object.keys(ids).find((name) => ids[name] === item.id));

  it('lists every session newest first, the open one included', async () => {
    const page = await list('');
    expect(namesOf(page)).toEqual(['open', 'd', 'c', 'b', 'a']);
    expect(page.next_cursor).toBeNull();
    expect(page.items[0]).toMatchObject({ ended_at: null });
  });

  it('pages with an opaque cursor, no row twice or lost', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(`?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      seen.push(...(namesOf(page) as string[]));
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(['open', 'd', 'c', 'b', 'a']);
  });

  it.each([
    ['?from=2026-05-10T10:30:00Z&to=2026-05-10T12:00:00Z', ['b']],
    ['?from=2026-05-10T11:00:00Z&to=2026-05-10T12:00:01Z', ['c']],
    ['?from=2026-05-10T11:30:00%2B01:00&to=2026-05-10T13:30:00Z', ['c', 'b']],
    ['?from=2026-05-10T14:30:00Z', ['open', 'd']],
    ['?to=2026-05-10T10:00:00Z', ['a']],
    ['?from=2026-05-11T00:00:00Z&to=2026-05-12T00:00:00Z', []],
    ['?from=2026-05-09T00:00:00Z&to=2026-05-10T08:00:00Z', []],
  ])('%s → the sessions overlapping [from, to)', async (query, names) => {
    expect(namesOf(await list(query))).toEqual(names);
  });

  it('a window inside one long session finds it (a session starting long before from)', async () => {
    const other = await newPatient(app);
    await createWearSession(app.deps.knex, {
      user_id: other.user.id,
      started_at: new Date('2026-04-01T00:00:00Z'),
      ended_at: new Date('2026-04-20T00:00:00Z'),
    });
    const answer = await call(
      app,
      other,
      'GET',
      '/wear-sessions?from=2026-04-10T00:00:00Z&to=2026-04-11T00:00:00Z',
    );
    expect(answer.body.items).toHaveLength(1);
  });
});

describe('timestamps', () => {
  it('are ISO 8601 UTC with milliseconds everywhere', async () => {
    const patient = await newPatient(app);
    await call(app, patient, 'POST', '/wear-sessions', { started_at: '2026-06-01T10:00:00+02:00' });
    const page = await call(app, patient, 'GET', '/wear-sessions');
    const [item] = page.body.items;
    expect(item.started_at).toBe('2026-06-01T08:00:00.000Z');
    for (const field of ['created_at', 'updated_at']) expect(item[field]).toMatch(ISO_MILLIS);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../../support/app.js';
import { createWearSession } from '../../support/factories.js';
import { call, newPatient, type Answer, type Patient } from '../../support/wear-fixtures.js';

let app: TestApp;
let patient: Patient;
let sessionId: string;

beforeAll(async () => {
  app = await startTestApp();
  patient = await newPatient(app);
  sessionId = (
    await createWearSession(app.deps.knex, {
      user_id: patient.user.id,
      started_at: new Date('2026-01-10T12:00:00Z'),
      ended_at: new Date('2026-01-10T12:40:00Z'),
    })
  ).id;
});
afterAll(() => app.close());

const HUGE = 'x'.repeat(200_000);
const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();

function expectPaths(answer: Answer, paths: string[]) {
  expect(answer.status).toBe(422);
  expect(answer.body.code).toBe('validation_failed');
  const errors = answer.body.errors as Array<{ path: string; message: string }>;
  expect(errors.map((error) => error.path).sort()).toEqual([...paths].sort());
  for (const error of errors) expect(error.message).toEqual(expect.any(String));
}

describe('validation: every failure is 422 with the path of the bad value (docs/conventions.md#errors)', () => {
  it.each([
    ['an id that is not a UUID', { id: 'session-1' }, ['body.id']],
    ['an id as a number', { id: 42 }, ['body.id']],
    [
      'a started_at on a day that does not exist',
      { started_at: '2026-02-30T10:00:00Z' },
      ['body.started_at'],
    ],
    ['a started_at that is a date only', { started_at: '2026-02-28' }, ['body.started_at']],
    ['a started_at without a zone', { started_at: '2026-02-28T10:00:00' }, ['body.started_at']],
    ['a started_at in words', { started_at: 'now' }, ['body.started_at']],
    ['a started_at in the future', { started_at: inAnHour() }, ['body.started_at']],
    ['a started_at before 2000', { started_at: '1999-12-31T23:59:59Z' }, ['body.started_at']],
    ['a started_at as epoch milliseconds', { started_at: Date.now() }, ['body.started_at']],
    ['a started_at as an array', { started_at: ['2026-01-01T00:00:00Z'] }, ['body.started_at']],
    ['a huge started_at', { started_at: HUGE }, ['body.started_at']],
    ['a reason outside the list', { reason: 'smoking' }, ['body.reason']],
    ['a reason as a number', { reason: 1 }, ['body.reason']],
    ['a huge reason', { reason: HUGE }, ['body.reason']],
    ['an ended_at without its started_at', { ended_at: '2026-01-01T00:00:00Z' }, ['body.started_at']],
    [
      'an ended_at in the future',
      { started_at: '2026-01-01T00:00:00Z', ended_at: '2999-01-01T00:00:00Z' },
      ['body.ended_at'],
    ],
    ['a user_id of its own', { user_id: '00000000-0000-4000-8000-000000000000' }, ['body']],
    ['an array body', [{ reason: 'meal' }], ['body']],
  ])('POST /wear-sessions with %s', async (_case, json, paths) => {
    expectPaths(await call(app, patient, 'POST', '/wear-sessions', json), paths);
    expect(await app.deps.knex('wear_sessions').where({ user_id: patient.user.id })).toHaveLength(1);
  });

  it.each([
    ['nothing to change', {}, ['body']],
    ['an ended_at of null (no reopening)', { ended_at: null }, ['body.ended_at']],
    ['an ended_at in the future', { ended_at: inAnHour() }, ['body.ended_at']],
    ['an ended_at on a day that does not exist', { ended_at: '2026-02-30T10:00:00Z' }, ['body.ended_at']],
    ['an ended_at as a number', { ended_at: 1767225600000 }, ['body.ended_at']],
    ['a started_at in the future', { started_at: inAnHour() }, ['body.started_at']],
    ['a reason outside the list', { reason: 'sleep' }, ['body.reason']],
    ['an unknown field', { end_at: '2026-01-10T12:50:00Z' }, ['body']],
    ['an id in the body', { id: sessionId }, ['body']],
    ['an array body', [], ['body']],
    [
      'several bad fields',
      { started_at: 'x', ended_at: inAnHour(), reason: 'x' },
      ['body.started_at', 'body.ended_at', 'body.reason'],
    ],
  ])('PATCH /wear-sessions/{id} with %s', async (_case, json, paths) => {
    expectPaths(await call(app, patient, 'PATCH', `/wear-sessions/${sessionId}`, json), paths);
    expect(await app.deps.knex('wear_sessions').where({ id: sessionId }).first()).toMatchObject({
      ended_at: new Date('2026-01-10T12:40:00Z'),
      reason: 'meal',
    });
  });

  it.each([
    ['from=yesterday', ['query.from']],
    ['to=2026-02-30T00:00:00Z', ['query.to']],
    ['from=2026-01-01', ['query.from']],
    ['from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', ['query.to']],
    ['from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', ['query.to']],
    ['from=2026-01-01T00:00:00Z&from=2026-01-02T00:00:00Z', ['query.from']],
    ['limit=0', ['query.limit']],
    ['limit=101', ['query.limit']],
    ['limit=ten', ['query.limit']],
    ['cursor=not-a-cursor', ['query.cursor']],
    [`cursor=${Buffer.from('["2026-01-01", "x"]').toString('base64url')}`, ['query.cursor']],
    [
      `cursor=${Buffer.from('["99999-01-01T00:00:00.000000Z", "x"]').toString('base64url')}`,
      ['query.cursor'],
    ],
    [`cursor=${HUGE.slice(0, 600)}`, ['query.cursor']],
  ])('GET /wear-sessions?%s', async (query, paths) => {
    expectPaths(await call(app, patient, 'GET', `/wear-sessions?${query}`), paths);
  });

  it.each([
    ['', ['query.from', 'query.to']],
    ['from=2026-01-01', ['query.to']],
    ['to=2026-01-01', ['query.from']],
    ['from=2026-02-30&to=2026-03-01', ['query.from']],
    ['from=2026-02-01&to=20260301', ['query.to']],
    ['from=2026-02-01T00:00:00Z&to=2026-03-01', ['query.from']],
    ['from=2026-03-02&to=2026-03-01', ['query.to']],
    ['from=2025-01-01&to=2026-01-02', ['query.to']],
    ['from=2026-01-01&from=2026-01-02&to=2026-01-03', ['query.from']],
    [`from=${HUGE.slice(0, 5000)}&to=2026-01-01`, ['query.from']],
  ])('GET /wear-stats?%s', async (query, paths) => {
    expectPaths(await call(app, patient, 'GET', `/wear-stats?${query}`), paths);
  });

  it.each([
    ['PATCH', { reason: 'meal' }],
    ['DELETE', undefined],
  ])('%s with an id that is not a UUID', async (method, json) => {
    for (const id of ['not-a-uuid', '1', "1' or '1'='1", HUGE.slice(0, 3000)]) {
      expectPaths(await call(app, patient, method, `/wear-sessions/${encodeURIComponent(id)}`, json), [
        'params.id',
      ]);
    }
  });

  it('answers 400 to malformed JSON and 415 to another content type', async () => {
    const url = `${patient.base}/wear-sessions`;
    const malformed = await app.request(url, {
      method: 'POST',
      token: patient.token,
      headers: { 'content-type': 'application/json' },
      body: '{"reason": ',
    });
    expect(malformed.status).toBe(400);
    // Only objects and arrays are JSON bodies here (the body parser's strict mode).
    const scalar = await app.request(url, { method: 'POST', token: patient.token, json: 'meal' });
    expect(scalar.status).toBe(400);
    const form = await app.request(url, {
      method: 'POST',
      token: patient.token,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'reason=meal',
    });
    expect(form.status).toBe(415);
  });
});

describe('nothing a client sends produces a 500 (docs/conventions.md#errors)', () => {
  const hostileValues: unknown[] = [
    null,
    true,
    0,
    -1,
    1e308,
    '',
    ' ',
    HUGE,
    '2026-02-30',
    '2026-02-30T00:00:00Z',
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59.999999Z',
    '+275760-09-13T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-01-01T25:00:00Z',
    '2026-01-01T00:00:00+25:00',
    "'; drop table wear_sessions; --",
    '\u0000',
    '00000000-0000-0000-0000-000000000000',
    [],
    ['meal'],
    {},
    { $gt: '' },
  ];
  const queryValues = [
    '',
    '2026-02-30',
    '0000-01-01',
    '9999-12-31',
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '-1',
    'null',
    '%00',
    encodeURIComponent(HUGE.slice(0, 4000)),
    '2026-01-01%00',
  ];

  it('POST and PATCH bodies', async () => {
    const statuses = new Set<number>();
    for (const field of ['id', 'started_at', 'ended_at', 'reason', '__proto__', 'constructor']) {
      for (const value of hostileValues) {
        const json = { [field]: value };
        for (const [method, path] of [
          ['POST', '/wear-sessions'],
          ['PATCH', `/wear-sessions/${sessionId}`],
        ] as const) {
          const answer = await call(app, patient, method, path, json);
          statuses.add(answer.status);
          expect([method, field, value, answer.status < 500]).toEqual([method, field, value, true]);
        }
      }
    }
    expect(statuses.has(500)).toBe(false);
  });

  it('list and stats queries', async () => {
    for (const a of queryValues) {
      for (const b of queryValues) {
        for (const path of [
          `/wear-sessions?from=${a}&to=${b}`,
          `/wear-sessions?cursor=${a}&limit=${b}`,
          `/wear-stats?from=${a}&to=${b}`,
        ]) {
          const answer = await call(app, patient, 'GET', path);
          expect([path, answer.status < 500]).toEqual([path, true]);
        }
      }
    }
  });

  it('stats ranges at the ends of the calendar: outside 1900–2999 a 422, never a 500', async () => {
    for (const [from, to, status] of [
      ['0000-01-01', '0000-12-31', 422],
      ['9999-01-01', '9999-12-31', 422],
      ['1900-01-01', '1900-12-31', 200],
      ['2999-01-01', '2999-12-31', 200],
      ['2026-01-01', '2026-12-31', 200],
    ] as const) {
      const answer = await call(app, patient, 'GET', `/wear-stats?from=${from}&to=${to}`);
      expect([from, answer.status]).toEqual([from, status]);
    }
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, tokenFor, type TestApp } from '../../support/app.js';
import { TEST_INTERNAL_KEYS } from '../../support/config.js';
import { send } from '../../support/dentist-fixtures.js';

// A database of its own: the listing tests see exactly the dentists made here.
let app: TestApp;
let token: string;
const KEY = TEST_INTERNAL_KEYS[0];

beforeAll(async () => {
  app = await startTestApp();
  // Any signed-in user may browse, profile or not.
  token = await tokenFor(randomUUID());
});
afterAll(() => app.close());

const put = (id: number | string, json: unknown, apiKey: string | null = KEY) =>
  send(app, 'PUT', `/internal/dentists/${id}`, { json, ...(apiKey ? { apiKey } : {}) });
const search = async (query: string) => {
  const { status, body } = await send(app, 'GET', `/auth/dentists${query}`, { token });
  expect(status).toBe(200);
  return body as { items: Array<{ id: number; name: string }>; next_cursor: string | null };
};
const names = async (query: string) => (await search(query)).items.map((item) => item.name);

describe('PUT /internal/dentists/{dentist_id} (Jarvis upsert)', () => {
  it('creates (201), updates (200); fields left out keep their value; explicit null clears', async () => {
    const created = await put(7001, { name: 'Dr Who', practice_name: 'Tardis Dental', city: 'Cardiff' });
    expect(created).toMatchObject({
      status: 201,
      body: { id: 7001, name: 'Dr Who', practice_name: 'Tardis Dental', city: 'Cardiff', active: true },
    });
    expect(created.body.created_at).toMatch(/Z$/);

    const renamed = await put(7001, { name: 'Dr Who II' });
    expect(renamed).toMatchObject({
      status: 200,
      body: { id: 7001, name: 'Dr Who II', practice_name: 'Tardis Dental', city: 'Cardiff', active: true },
    });
    const cleared = await put(7001, { name: 'Dr Who II', city: null, active: false });
    expect(cleared.body).toMatchObject({ practice_name: 'Tardis Dental', city: null, active: false });
    // A partial sync does not reactivate a dentist.
    expect((await put(7001, { name: 'Dr Who III' })).body).toMatchObject({ active: false });
    expect((await put(7001, { name: 'Dr Who III', active: true })).body).toMatchObject({ active: true });
  });

  it.each([
    ['a non-numeric id', 'abc', { name: 'X' }, 'params.dentist_id'],
    ['a zero id', '0', { name: 'X' }, 'params.dentist_id'],
    ['a negative id', '-5', { name: 'X' }, 'params.dentist_id'],
    ['a leading-zero id', '007', { name: 'X' }, 'params.dentist_id'],
    ['an id past int4', '2147483648', { name: 'X' }, 'params.dentist_id'],
    ['no name', '7100', { city: 'Leeds' }, 'body.name'],
    ['a blank name', '7100', { name: '   ' }, 'body.name'],
    ['a non-boolean active', '7100', { name: 'X', active: 'yes' }, 'body.active'],
    ['an unknown field', '7100', { name: 'X', email: 'x@example.com' }, 'body'],
  ])('422 with the path for %s', async (_case, id, json, path) => {
    const { status, body } = await put(id, json);
    expect(status).toBe(422);
    expect(body.errors.map((error: { path: string }) => error.path)).toContain(path);
    expect(await app.deps.knex('dentists').where({ id: 7100 }).first()).toBeUndefined();
  });
});

describe('DELETE /internal/dentists/{dentist_id}', () => {
  it('deactivates (204, again 204), keeping the row for the users who have that dentist', async () => {
    await put(7200, { name: 'Dr Gone' });
    const first = await send(app, 'DELETE', '/internal/dentists/7200', { apiKey: KEY });
    expect(first.status).toBe(204);
    expect((await send(app, 'DELETE', '/internal/dentists/7200', { apiKey: KEY })).status).toBe(204);
    expect(await app.deps.knex('dentists').where({ id: 7200 }).first()).toMatchObject({ active: false });
    expect(await names('?q=Dr%20Gone')).toEqual([]);
  });

  it('404 for an unknown dentist, 422 for an invalid id', async () => {
    expect(await send(app, 'DELETE', '/internal/dentists/7299', { apiKey: KEY })).toMatchObject({
      status: 404,
      body: { code: 'not_found' },
    });
    expect((await send(app, 'DELETE', '/internal/dentists/x', { apiKey: KEY })).status).toBe(422);
  });
});

describe('the internal API needs the key (docs/auth.md#api-keys)', () => {
  it.each([
    ['PUT', '/internal/dentists/7300', { name: 'X' }],
    ['DELETE', '/internal/dentists/7300', undefined],
  ])('%s %s: no key or a wrong key → 401, nothing written', async (method, path, json) => {
    for (const headers of [{}, { 'x-api-key': 'wrong-key' }] as Array<Record<string, string>>) {
      const response = await app.request(path, { method, headers, ...(json ? { json } : {}) });
      expect(response.status).toBe(401);
    }
    expect(await app.deps.knex('dentists').where({ id: 7300 }).first()).toBeUndefined();
  });

  it('a JWT is not an API key', async () => {
    const response = await app.request('/internal/dentists/7300', {
      method: 'PUT',
      token,
      json: { name: 'X' },
    });
    expect(response.status).toBe(401);
  });
});

describe('GET /auth/dentists?q= (the app’s directory)', () => {
  beforeAll(async () => {
    const directory = [
      [8001, 'Dr Alice Archer', 'Bright Smiles', 'Leeds'],
      [8002, 'Dr Bob Baker', 'Canal Street Dental', 'Manchester'],
      [8003, 'Dr Carol Chen', 'Leeds Orthodontics', 'York'],
      [8004, 'Dr Dan 100% Smile', null, 'Bath'],
      [8005, 'Dr Eve_Underscore', 'Back\\Slash Dental', null],
      [8006, 'Dr Frank Flynn', 'Closed Practice', 'Leeds'],
    ] as const;
    for (const [id, name, practice_name, city] of directory) await put(id, { name, practice_name, city });
    await send(app, 'DELETE', '/internal/dentists/8006', { apiKey: KEY });
  });

  it('lists active dentists by name; q matches name, practice or city, whatever the case', async () => {
    const all = await names('');
    expect(all).toEqual(expect.arrayContaining(['Dr Alice Archer', 'Dr Eve_Underscore']));
    expect(all).not.toContain('Dr Frank Flynn');
    expect(all).toEqual([...all].sort());
    expect(await names('?q=leeds')).toEqual(['Dr Alice Archer', 'Dr Carol Chen']);
    expect(await names('?q=CANAL')).toEqual(['Dr Bob Baker']);
    expect(await names('?q=%20carol%20')).toEqual(['Dr Carol Chen']);
    expect((await search('?q=archer')).items[0]).toEqual({
      id: 8001,
      name: 'Dr Alice Archer',
      practice_name: 'Bright Smiles',
      city: 'Leeds',
    });
  });

  it('treats %, _ and \\ in q literally', async () => {
    expect(await names('?q=%25')).toEqual(['Dr Dan 100% Smile']);
    expect(await names('?q=_')).toEqual(['Dr Eve_Underscore']);
    expect(await names(`?q=${encodeURIComponent('\\')}`)).toEqual(['Dr Eve_Underscore']);
    expect(await names('?q=0%25%20S')).toEqual(['Dr Dan 100% Smile']);
    expect(await names(`?q=${encodeURIComponent('%%')}`)).toEqual([]);
  });

  it('pages with limit and cursor, without gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await search(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((item) => item.name));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(await names(''));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('422 with the path for a long q, a bad limit or a forged cursor', async () => {
    for (const [query, path] of [
      [`?q=${'x'.repeat(101)}`, 'query.q'],
      ['?limit=0', 'query.limit'],
      ['?cursor=bm9wZQ', 'query.cursor'],
      [
        `?cursor=${Buffer.from(JSON.stringify(['Dr', 'not-a-number'])).toString('base64url')}`,
        'query.cursor',
      ],
      [`?cursor=${Buffer.from(JSON.stringify([1, 2])).toString('base64url')}`, 'query.cursor'],
    ] as const) {
      const { status, body } = await send(app, 'GET', `/auth/dentists${query}`, { token });
      expect([query, status]).toEqual([query, 422]);
      expect(body.errors.map((error: { path: string }) => error.path)).toContain(path);
    }
  });

  it('401 without a token', async () => {
    expect((await send(app, 'GET', '/auth/dentists')).status).toBe(401);
  });
});

import { DateTime } from 'luxon';
import type { User } from '../../../src/shared/db/models/user.js';
import { tokenFor, type TestApp } from '../../support/app.js';
import { createUser } from '../../support/factories.js';

export interface Patient {
  user: User;
  token: string;
  /** `/auth/users/{sub}` */
  base: string;
}

export async function newPatient(app: TestApp, overrides: Partial<User> = {}): Promise<Patient> {
  const user = await createUser(app.deps.knex, overrides);
  return { user, token: await tokenFor(user.cognito_sub), base: `/auth/users/${user.cognito_sub}` };
}

export interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by the tests
  body: any;
}

/** A JSON request as `who` to `who.base + path`; no token when `who.token` is undefined. */
export async function call(
  app: TestApp,
  who: { base: string; token?: string | undefined },
  method: string,
  path: string,
  json?: unknown,
): Promise<Answer> {
  const response = await app.request(`${who.base}${path}`, {
    method,
    ...(who.token ? { token: who.token } : {}),
    ...(json !== undefined ? { json } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** The user's local date `offset` days from today, as the server computes "today". */
export function localDay(zone: string, offset = 0): string {
  return DateTime.now().setZone(zone).plus({ days: offset }).toISODate()!;
}

/** The field paths of a 422. */
export function errorPaths(answer: Answer): string[] {
  return ((answer.body?.errors ?? []) as Array<{ path: string }>).map((error) => error.path);
}

import type { User } from '../../src/users/model.js';
import { tokenFor, type TestApp } from './app.js';
import { createUser } from './factories.js';

/** A signed-in user of the app, for tests that call the API as them. */
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

/** A request as `who` (their token; `base` is prefixed unless the path is absolute). */
export async function call(
  app: TestApp,
  who: { base: string; token?: string | undefined },
  method: string,
  path: string,
  json?: unknown,
): Promise<Answer> {
  const response = await app.request(path.startsWith('/auth/') ? path : `${who.base}${path}`, {
    method,
    ...(who.token ? { token: who.token } : {}),
    ...(json !== undefined ? { json } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

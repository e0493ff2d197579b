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

/** A treatment row; only the fields the wear statistics read matter here. */
export async function createTreatment(
  app: TestApp,
  userId: string,
  fields: { started_on: string; daily_wear_goal_minutes?: number },
): Promise<void> {
  await app.deps.knex('treatments').insert({
    user_id: userId,
    status: 'active',
    total_aligners: 20,
    current_aligner: 1,
    change_interval_days: 14,
    current_aligner_started_on: fields.started_on,
    ...fields,
  });
}

export const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

export const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

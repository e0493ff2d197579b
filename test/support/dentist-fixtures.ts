import { randomUUID } from 'node:crypto';
import { tokenFor, type TestApp } from './app.js';
import { createUser } from './factories.js';
import type { User } from '../../src/users/model.js';

export interface Patient {
  user: User;
  token: string;
  /** `/auth/users/{sub}/dentist-change-requests` */
  requests: string;
  profile: string;
}

/** A user with a profile and a token of their own. */
export async function newPatient(app: TestApp, overrides: Partial<User> = {}): Promise<Patient> {
  const user = await createUser(app.deps.knex, { cognito_sub: randomUUID(), ...overrides });
  return {
    user,
    token: await tokenFor(user.cognito_sub),
    requests: `/auth/users/${user.cognito_sub}/dentist-change-requests`,
    profile: `/auth/users/${user.cognito_sub}`,
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are read field by field
export type Json = any;

export async function send(
  app: TestApp,
  method: string,
  path: string,
  options: { token?: string; json?: unknown; apiKey?: string } = {},
): Promise<{ status: number; body: Json }> {
  const response = await app.request(path, {
    method,
    ...(options.token ? { token: options.token } : {}),
    ...(options.json !== undefined ? { json: options.json } : {}),
    ...(options.apiKey ? { headers: { 'x-api-key': options.apiKey } } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

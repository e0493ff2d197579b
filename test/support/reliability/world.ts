import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { User } from '../../../src/users/model.js';
import { tokenFor, type TestApp } from '../app.js';
import {
  createAlignerChange,
  createDentist,
  createDentistChangeRequest,
  createReminder,
  createTreatment,
  createUser,
  createWearSession,
} from '../factories.js';

let hubspotEventSequence = 5_000_000 + Math.floor(Math.random() * 1_000_000);

/** A stored HubSpot event (failed, so that it may be replayed). */
export async function createHubspotEvent(
  knex: Knex,
  overrides: Record<string, unknown> = {},
): Promise<{ id: string }> {
  hubspotEventSequence += 1;
  const event = {
    eventId: hubspotEventSequence,
    subscriptionId: 4242,
    portalId: 99887766,
    occurredAt: Date.now(),
    subscriptionType: 'contact.propertyChange',
    objectId: hubspotEventSequence,
    propertyName: 'firstname',
    propertyValue: 'Robin',
  };
  const [row] = (await knex('hubspot_events')
    .insert({
      portal_id: event.portalId,
      subscription_id: event.subscriptionId,
      event_id: event.eventId,
      object_id: event.objectId,
      occurred_at: event.occurredAt,
      subscription_type: event.subscriptionType,
      property_name: event.propertyName,
      property_value: event.propertyValue,
      payload: JSON.stringify(event),
      status: 'failed',
      last_error: 'seeded',
      ...overrides,
    })
    .returning('id')) as Array<{ id: string }>;
  if (!row) throw new Error('hubspot event not created');
  return row;
}

/** An image row of `user` (uploaded and processed unless said otherwise); no S3 object behind it. */
export async function createImage(
  knex: Knex,
  user: User,
  status: 'pending' | 'uploaded' = 'uploaded',
): Promise<string> {
  const id = randomUUID();
  await knex('images').insert({
    id,
    user_id: user.id,
    view: 'front',
    content_type: 'image/png',
    aligner_number: 1,
    object_key: `users/${user.cognito_sub}/images/${id}.png`,
    status,
    size_bytes: status === 'uploaded' ? 1234 : null,
    uploaded_at: status === 'uploaded' ? new Date() : null,
    upload_expires_at: new Date(Date.now() + 10 * 60_000),
    ...(status === 'uploaded'
      ? {
          processing_state: 'ready',
          display_key: `users/${user.cognito_sub}/images/${id}.display.jpg`,
          thumbnail_key: `users/${user.cognito_sub}/images/${id}.thumb.jpg`,
          width: 4,
          height: 4,
          processed_at: new Date(),
        }
      : {}),
  });
  return id;
}

let sessionDaysBack = 1;

/**
 * How to make one object of each collection that `/auth/users/{sub}/<collection>/{id}`
 * routes address, for a given user. A new route with an object id under a collection
 * missing here makes the tests that need one fail, naming the collection.
 */
export const objectFactories: Record<string, (knex: Knex, user: User) => Promise<string>> = {
  images: (knex, user) => createImage(knex, user),
  'wear-sessions': async (knex, user) => {
    // Sessions of one user never overlap: each one made here is another day further back.
    sessionDaysBack += 1;
    const started = Date.now() - sessionDaysBack * 86_400_000;
    return (
      await createWearSession(knex, {
        user_id: user.id,
        started_at: new Date(started),
        ended_at: new Date(started + 3600_000),
      })
    ).id;
  },
  'dentist-change-requests': async (knex, user) => {
    const dentist = await createDentist(knex);
    return (
      await createDentistChangeRequest(knex, { user_id: user.id, dentist_id: dentist.id, status: 'failed' })
    ).id;
  },
};

/** The collection a path parameter names an object of: the segment before it. */
export function collectionOf(path: string, param: string): string | undefined {
  const segments = path.split('/');
  const index = segments.indexOf(`:${param}`);
  return index > 0 ? segments[index - 1] : undefined;
}

export interface World {
  user: User;
  token: string;
  /** `/auth/users/{sub}` */
  base: string;
  /** Ids of existing objects, by the path segment before their parameter (`images`, `events`…). */
  ids: Record<string, string[]>;
  dentistIds: number[];
}

/**
 * A user with one of everything (profile, treatment, aligner change, reminder, wear
 * session, uploaded and pending photos, a closed dentist change request), and objects
 * of the internal API (dentists, a failed HubSpot event), so that generated requests
 * can name things that exist and get past lookups to the deeper code.
 */
export async function seedWorld(app: TestApp): Promise<World> {
  const knex = app.deps.knex;
  const user = await createUser(knex, { cognito_sub: randomUUID() });
  const activeDentist = await createDentist(knex);
  const inactiveDentist = await createDentist(knex, { active: false });
  await createTreatment(knex, { user_id: user.id });
  await createAlignerChange(knex, { user_id: user.id });
  await createReminder(knex, { user_id: user.id });
  const ids: Record<string, string[]> = {
    images: [await createImage(knex, user, 'uploaded'), await createImage(knex, user, 'pending')],
    'wear-sessions': [(await createWearSession(knex, { user_id: user.id })).id],
    'dentist-change-requests': [
      (
        await createDentistChangeRequest(knex, {
          user_id: user.id,
          dentist_id: activeDentist.id,
          status: 'failed',
        })
      ).id,
    ],
    events: [(await createHubspotEvent(knex)).id],
  };
  return {
    user,
    token: await tokenFor(user.cognito_sub),
    base: `/auth/users/${user.cognito_sub}`,
    ids,
    dentistIds: [activeDentist.id, inactiveDentist.id],
  };
}

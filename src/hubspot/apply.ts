import type { Knex } from 'knex';
import type { HubSpotTargetField } from '../shared/config.js';
import type { JobRequest } from '../shared/jobs/queues.js';
import { appliers } from './appliers.js';
import type { ContactRow } from './contacts.js';

/** Applies one mapped HubSpot property to the linked user; unmapped properties are only kept. */
export async function applyProperty(
  trx: Knex.Transaction,
  userId: string,
  propertyMap: Record<string, HubSpotTargetField>,
  property: string,
  value: string | null,
  jobs: JobRequest[],
): Promise<void> {
  const field = propertyMap[property];
  if (field) await appliers[field](trx, userId, value ?? '', jobs);
}

/** Applies every mapped property the contact has, e.g. when it is first linked to a user. */
export async function applyAllProperties(
  trx: Knex.Transaction,
  contact: ContactRow,
  propertyMap: Record<string, HubSpotTargetField>,
  jobs: JobRequest[],
): Promise<void> {
  if (!contact.user_id) return;
  for (const [property, { value }] of Object.entries(contact.properties)) {
    await applyProperty(trx, contact.user_id, propertyMap, property, value, jobs);
  }
}

/**
 * Links a contact to the user with its email, when neither is linked yet (docs/hubspot.md#linking-contacts-to-users:
 * by contact id, else by email). Returns true when a link was made.
 */
export async function linkByEmail(trx: Knex.Transaction, contact: ContactRow): Promise<boolean> {
  const email = contact.properties.email?.value;
  if (contact.user_id || !email) return false;
  const user = (await trx('users')
    .whereRaw('lower(email) = lower(?)', [email])
    .whereNull('deleted_at')
    .whereNotExists(trx('hubspot_contacts').whereRaw('hubspot_contacts.user_id = users.id'))
    .first('id')) as { id: string } | undefined;
  if (!user) return false;
  contact.user_id = user.id;
  return true;
}

/**
 * A user who registers with an email HubSpot already knows is linked to that contact,
 * and its mapped properties are applied (docs/resources.md#profile), in the profile's transaction.
 */
export async function linkContactOnRegistration(
  trx: Knex.Transaction,
  user: { id: string; email: string },
  propertyMap: Record<string, HubSpotTargetField>,
  jobs: JobRequest[],
  /** Fields the user filled in themselves: their values win over HubSpot's. */
  providedFields: ReadonlySet<HubSpotTargetField>,
): Promise<void> {
  const contact = (await trx('hubspot_contacts')
    .whereRaw(`lower(properties #>> '{email,value}') = lower(?)`, [user.email])
    .whereNull('user_id')
    .whereNull('merged_into')
    .orderBy('updated_at', 'desc')
    .forUpdate()
    .first()) as ContactRow | undefined;
  if (!contact) return;
  await trx('hubspot_contacts')
    .where({ contact_id: contact.contact_id })
    .update({ user_id: user.id, updated_at: trx.fn.now() });
  const properties = Object.fromEntries(
    Object.entries(contact.properties).filter(([name]) => {
      const field = propertyMap[name];
      return field === undefined || !providedFields.has(field);
    }),
  );
  await applyAllProperties(trx, { ...contact, user_id: user.id, properties }, propertyMap, jobs);
}

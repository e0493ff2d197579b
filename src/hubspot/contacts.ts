import type { Knex } from 'knex';

/** A property as last set in HubSpot, with the time it was set there. */
export interface PropertyValue {
  value: string | null;
  occurred_at: number;
}

export interface ContactRow {
  contact_id: number;
  user_id: string | null;
  properties: Record<string, PropertyValue>;
  deleted_at_ms: number | null;
  merged_into: number | null;
}

/**
 * The contact's row, created when first heard of, locked for this transaction so
 * concurrent events of one contact apply one after the other. One statement: an
 * upsert whose no-op update takes the row lock (as SELECT … FOR UPDATE would) and
 * returns the row, in one round trip instead of an insert and a locking read.
 */
export async function lockContact(trx: Knex.Transaction, contactId: number): Promise<ContactRow> {
  const [row] = (await trx('hubspot_contacts')
    .insert({ contact_id: contactId })
    .onConflict('contact_id')
    .merge(['contact_id'])
    .returning('*')) as ContactRow[];
  return row!;
}

/** Last writer wins, per property, on HubSpot's occurredAt; a tie keeps what is there. */
export function isNewer(contact: ContactRow, property: string, occurredAt: number): boolean {
  const current = contact.properties[property];
  return current === undefined || occurredAt > current.occurred_at;
}

/** Events older than a deletion of the contact are ignored: the contact is gone. */
export function isBeforeDeletion(contact: ContactRow, occurredAt: number): boolean {
  return contact.deleted_at_ms !== null && occurredAt <= contact.deleted_at_ms;
}

export async function saveContact(trx: Knex.Transaction, contact: ContactRow): Promise<void> {
  await trx('hubspot_contacts')
    .where({ contact_id: contact.contact_id })
    .update({
      user_id: contact.user_id,
      properties: JSON.stringify(contact.properties),
      deleted_at_ms: contact.deleted_at_ms,
      merged_into: contact.merged_into,
      updated_at: trx.fn.now(),
    });
}

/**
 * Merges `source` into `target` property by property, newest value winning, and moves
 * the user link when the target has none.
 */
export function mergeContacts(target: ContactRow, source: ContactRow): void {
  for (const [name, property] of Object.entries(source.properties)) {
    if (isNewer(target, name, property.occurred_at)) target.properties[name] = property;
  }
  if (!target.user_id && source.user_id) target.user_id = source.user_id;
  source.user_id = null;
  source.merged_into = target.contact_id;
}

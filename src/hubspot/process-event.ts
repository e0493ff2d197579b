import type { Knex } from 'knex';
import type { HubSpotTargetField } from '../shared/config.js';
import type { JobRequest } from '../shared/jobs/queues.js';
import { applyAllProperties, applyProperty, linkByEmail } from './apply.js';
import { isBeforeDeletion, isNewer, lockContact, mergeContacts, saveContact } from './contacts.js';

export interface StoredEvent {
  id: string;
  object_id: number;
  occurred_at: number;
  subscription_type: string;
  property_name: string | null;
  property_value: string | null;
  payload: Record<string, unknown>;
}

export type EventOutcome = 'processed' | 'ignored';

/**
 * Applies one HubSpot event (docs/hubspot.md#processing), in the caller's transaction. Safe to run twice
 * and in any order: properties are last-writer-wins on occurredAt, and a deletion
 * tombstones the contact so older events cannot bring it back.
 */
export async function processEvent(
  trx: Knex.Transaction,
  event: StoredEvent,
  propertyMap: Record<string, HubSpotTargetField>,
  jobs: JobRequest[],
): Promise<EventOutcome> {
  switch (event.subscription_type) {
    case 'contact.creation': {
      const contact = await lockContact(trx, event.object_id);
      return isBeforeDeletion(contact, event.occurred_at) ? ignoredAfterDeletion(trx, event) : 'processed';
    }
    case 'contact.propertyChange': {
      if (!event.property_name) return 'ignored';
      const contact = await lockContact(trx, event.object_id);
      if (isBeforeDeletion(contact, event.occurred_at)) return ignoredAfterDeletion(trx, event);
      if (contact.merged_into !== null) return 'ignored';
      // An older value than the one we hold changes nothing (it lost already).
      if (!isNewer(contact, event.property_name, event.occurred_at)) return 'processed';
      contact.properties[event.property_name] = {
        value: event.property_value,
        occurred_at: event.occurred_at,
      };
      const linkedNow = await linkByEmail(trx, contact);
      await saveContact(trx, contact);
      if (linkedNow) await applyAllProperties(trx, contact, propertyMap, jobs);
      else if (contact.user_id)
        await applyProperty(
          trx,
          contact.user_id,
          propertyMap,
          event.property_name,
          event.property_value,
          jobs,
        );
      return 'processed';
    }
    case 'contact.deletion':
    case 'contact.privacyDeletion':
      await eraseContact(trx, event.object_id, event.occurred_at);
      return 'processed';
    case 'contact.merge':
      await mergeEvent(trx, event, propertyMap, jobs);
      return 'processed';
    default:
      return 'ignored';
  }
}

const ERASED_VALUES = { property_value: null, payload: JSON.stringify({ erased: true }) };

/**
 * An event older than the contact's deletion: nothing of it applies, and what it
 * carries is erased like the contact's other events, whether it was stored before the
 * deletion was processed (eraseContact skipped it while its own job held it) or after.
 */
async function ignoredAfterDeletion(trx: Knex.Transaction, event: StoredEvent): Promise<EventOutcome> {
  await trx('hubspot_events').where({ id: event.id }).update(ERASED_VALUES);
  return 'ignored';
}

/**
 * Unlinks the contact and erases what we kept of it, including the events' values.
 * Events another job holds are skipped, not waited for: that job holds its event's
 * row and waits for the contact's lock, which this transaction holds, so waiting
 * would be a deadlock. Once this commits, that job finds the deletion and erases its
 * own event (ignoredAfterDeletion).
 */
async function eraseContact(trx: Knex.Transaction, contactId: number, occurredAt: number): Promise<void> {
  const contact = await lockContact(trx, contactId);
  contact.properties = {};
  contact.user_id = null;
  contact.deleted_at_ms = Math.max(contact.deleted_at_ms ?? 0, occurredAt);
  await saveContact(trx, contact);
  await trx('hubspot_events')
    .whereIn(
      'id',
      trx('hubspot_events').where({ object_id: contactId }).forUpdate().skipLocked().select('id'),
    )
    .update(ERASED_VALUES);
}

/** `contact.merge`: the merged contacts' properties and link move to the surviving one. */
async function mergeEvent(
  trx: Knex.Transaction,
  event: StoredEvent,
  propertyMap: Record<string, HubSpotTargetField>,
  jobs: JobRequest[],
): Promise<void> {
  const payload = event.payload;
  const targetId = Number(payload.newObjectId ?? payload.primaryObjectId ?? event.object_id);
  const mergedIds = (Array.isArray(payload.mergedObjectIds) ? payload.mergedObjectIds : [])
    .map(Number)
    .filter((id) => Number.isSafeInteger(id) && id !== targetId)
    // Lock in a fixed order so two merges of the same contacts cannot deadlock.
    .sort((a, b) => a - b);
  const target = await lockContact(trx, targetId);
  const hadUser = target.user_id;
  for (const id of mergedIds) {
    const source = await lockContact(trx, id);
    mergeContacts(target, source);
    await saveContact(trx, source);
  }
  await saveContact(trx, target);
  if (target.user_id && target.user_id !== hadUser) await applyAllProperties(trx, target, propertyMap, jobs);
}

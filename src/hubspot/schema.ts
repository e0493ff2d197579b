import { z } from 'zod';

/**
 * One HubSpot webhook event (docs/hubspot.md). Unknown fields are kept (merge events carry
 * `mergedObjectIds`, `primaryObjectId`…); ids are integers within JavaScript's safe
 * range, as HubSpot's are.
 */
export const hubspotEvent = z.looseObject({
  eventId: z.number().int().nonnegative(),
  subscriptionId: z.number().int().nonnegative(),
  portalId: z.number().int().nonnegative(),
  appId: z.number().int().nonnegative().optional(),
  occurredAt: z.number().int().nonnegative(),
  subscriptionType: z.string().min(1).max(100),
  attemptNumber: z.number().int().nonnegative().optional(),
  objectId: z.number().int().nonnegative(),
  propertyName: z.string().max(200).optional(),
  propertyValue: z.string().max(65536).optional(),
  changeSource: z.string().max(100).optional(),
});

export type HubSpotEvent = z.output<typeof hubspotEvent>;

/** HubSpot sends at most 100 events a request; a little headroom, and a hard bound. */
export const hubspotBatch = z.array(hubspotEvent).max(1000);

export const acknowledgement = z.object({
  received: z.number().int(),
  duplicates: z.number().int(),
});

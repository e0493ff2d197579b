import { hubspotEventsQueue, processHubspotEventJob } from './jobs.js';
import { z } from 'zod';
import { commitThenDispatch } from '../shared/db/transaction.js';
import { conflict, notFound } from '../shared/errors.js';
import { jobIdFor } from '../shared/jobs/queues.js';
import { cursorTimestamp, decodeCursor, pageSchema, paginationQuery, toPage } from '../api/pagination.js';
import { defineRoute } from '../api/route.js';

const STATUSES = ['received', 'processed', 'ignored', 'failed'] as const;

const eventSchema = z.object({
  id: z.uuid(),
  event_id: z.number().int(),
  portal_id: z.number().int(),
  subscription_id: z.number().int(),
  object_id: z.number().int(),
  occurred_at: z.number().int(),
  subscription_type: z.string(),
  property_name: z.string().nullable(),
  status: z.enum(STATUSES),
  attempts: z.number().int(),
  last_error: z.string().nullable(),
  received_at: z.string(),
  processed_at: z.string().nullable(),
});

interface EventRow extends Omit<z.output<typeof eventSchema>, 'received_at' | 'processed_at'> {
  received_at: Date;
  processed_at: Date | null;
  cursor_at: string;
}

// Values are left out on purpose: they are personal data, and ops need the error, not the value.
const present = (row: EventRow): z.output<typeof eventSchema> => ({
  id: row.id,
  event_id: row.event_id,
  portal_id: row.portal_id,
  subscription_id: row.subscription_id,
  object_id: row.object_id,
  occurred_at: row.occurred_at,
  subscription_type: row.subscription_type,
  property_name: row.property_name,
  status: row.status,
  attempts: row.attempts,
  last_error: row.last_error,
  received_at: row.received_at.toISOString(),
  processed_at: row.processed_at?.toISOString() ?? null,
});

const idParams = z.object({ id: z.uuid({ error: 'must be an event id (UUID)' }) });

export const internalHubspotRoutes = [
  defineRoute({
    method: 'get',
    path: '/internal/hubspot/events',
    summary: 'Stored HubSpot events by status (e.g. failed), oldest first',
    tag: 'internal',
    auth: 'api_key',
    query: z.object({ ...paginationQuery, status: z.enum(STATUSES).optional() }),
    responses: {
      200: { description: 'A page of events', schema: pageSchema(eventSchema) },
      401: { description: 'Missing or wrong x-api-key' },
      422: { description: 'Invalid query' },
    },
    handler: async (ctx, { query }, deps) => {
      const after = decodeCursor(query.cursor, ['timestamp', 'uuid']);
      const rows = (await deps
        .knex('hubspot_events')
        .select('*', deps.knex.raw(cursorTimestamp('received_at')))
        .modify((q) => {
          if (query.status) void q.where({ status: query.status });
          if (after) void q.whereRaw('(received_at, id) > (?::timestamptz, ?::uuid)', after);
        })
        .orderBy([{ column: 'received_at' }, { column: 'id' }])
        .limit(query.limit + 1)) as EventRow[];
      ctx.body = toPage(rows, query.limit, (row) => [row.cursor_at, row.id], present);
    },
  }),
  defineRoute({
    method: 'post',
    path: '/internal/hubspot/events/:id/replay',
    summary: 'Process a failed (or ignored) event again, e.g. once its cause is fixed',
    tag: 'internal',
    auth: 'api_key',
    params: idParams,
    responses: {
      202: {
        description: 'Queued for processing',
        schema: z.object({ id: z.uuid(), status: z.literal('received') }),
      },
      401: { description: 'Missing or wrong x-api-key' },
      404: { description: 'No such event' },
      409: { description: 'The event is still being processed, or was processed' },
    },
    handler: async (ctx, { params }, deps) => {
      const jobId = jobIdFor(processHubspotEventJob, params.id);
      await commitThenDispatch(deps.knex, deps.dispatcher, async (trx, jobs) => {
        const event = (await trx('hubspot_events').where({ id: params.id }).forUpdate().first('status')) as
          { status: string } | undefined;
        if (!event) throw notFound('No such event');
        if (event.status !== 'failed' && event.status !== 'ignored')
          throw conflict(
            `The event is ${event.status}; only failed or ignored events are replayed`,
            'not_replayable',
          );
        await trx('hubspot_events')
          .where({ id: params.id })
          .update({ status: 'received', attempts: 0, last_error: null });
        // The failed job keeps its id in BullMQ; it must go for the new one to be added.
        await deps.queues
          .of(hubspotEventsQueue)
          .remove(jobId)
          .catch(() => undefined);
        jobs.push({ job: processHubspotEventJob, rowId: params.id });
      });
      ctx.status = 202;
      ctx.body = { id: params.id, status: 'received' };
    },
  }),
];

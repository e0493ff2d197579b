import { z } from 'zod';
import { Reminder } from '../../../shared/db/models/reminder.js';
import { cursorTimestamp, decodeCursor, pageSchema, paginationQuery, toPage } from '../../pagination.js';
import { defineRoute } from '../../route.js';
import { cognitoSubParams } from '../users/schema.js';
import { findProfile } from '../users/profile.js';

export const notificationSchema = z.object({
  id: z.uuid(),
  type: z.enum(['progress', 'wear']),
  send_after: z.string(),
  status: z.enum(['pending', 'scheduled', 'cancel_requested', 'cancelled', 'skipped', 'failed']),
  status_reason: z.string().nullable(),
  aligner_number: z.number().int().nullable(),
  wear_session_id: z.uuid().nullable(),
  attempts: z.number().int(),
  created_at: z.string(),
});

export function presentReminder(reminder: Reminder): z.output<typeof notificationSchema> {
  return {
    id: reminder.id,
    type: reminder.type,
    send_after: reminder.send_after.toISOString(),
    status: reminder.status,
    status_reason: reminder.status_reason,
    aligner_number: reminder.aligner_number,
    wear_session_id: reminder.wear_session_id,
    attempts: reminder.attempts,
    created_at: reminder.created_at.toISOString(),
  };
}

export const notificationRoutes = [
  defineRoute({
    method: 'get',
    path: '/auth/users/:cognito_sub/notifications',
    summary: "The user's reminders and their states, newest first",
    tag: 'reminders',
    auth: 'jwt',
    params: cognitoSubParams,
    query: z.object({
      ...paginationQuery,
      status: z
        .enum(['pending', 'scheduled', 'cancel_requested', 'cancelled', 'skipped', 'failed'])
        .optional(),
      type: z.enum(['progress', 'wear']).optional(),
    }),
    responses: {
      200: { description: 'A page of reminders', schema: pageSchema(notificationSchema) },
      401: { description: 'Missing or invalid token' },
      403: { description: 'The path names another user' },
      404: { description: 'No profile' },
      422: { description: 'Invalid query' },
    },
    handler: async (ctx, { params, query }, deps) => {
      const user = await findProfile(deps.knex, params.cognito_sub);
      const after = decodeCursor(query.cursor, 2);
      const rows = (await Reminder.query(deps.knex)
        .select('*', deps.knex.raw(cursorTimestamp('created_at')))
        .where({ user_id: user.id })
        .modify((q) => {
          if (query.status) void q.where({ status: query.status });
          if (query.type) void q.where({ type: query.type });
          if (after) void q.whereRaw('(created_at, id) < (?::timestamptz, ?::uuid)', after);
        })
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(query.limit + 1)) as Array<Reminder & { cursor_at: string }>;
      ctx.body = toPage(rows, query.limit, (row) => [row.cursor_at, row.id], presentReminder);
    },
  }),
];

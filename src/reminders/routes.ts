import { z } from 'zod';
import type { Reminder } from './model.js';
import { pageOfReminders } from './repository.js';
import { cursorTimestamp, decodeCursor, pageSchema, paginationQuery, toPage } from '../api/pagination.js';
import { defineRoute } from '../api/route.js';
import { cognitoSubParams } from '../users/schema.js';

export const notificationSchema = z.object({
  id: z.uuid(),
  type: z.enum(['progress', 'wear', 'weekly_summary']),
  send_after: z.string(),
  status: z.enum(['pending', 'scheduled', 'cancel_requested', 'cancelled', 'skipped', 'failed']),
  status_reason: z.string().nullable(),
  aligner_number: z.number().int().nullable(),
  /** Progress: the extra days its text suggests, when the aligner was worn too little (docs/reminders.md#readiness-check). */
  suggested_extra_days: z.number().int().nullable(),
  wear_session_id: z.uuid().nullable(),
  /** Weekly summary: the local Sunday it is sent on; it sums up the 7 days before (docs/reminders.md#weekly-summary). */
  week_of: z.string().nullable(),
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
    suggested_extra_days: reminder.suggested_extra_days,
    wear_session_id: reminder.wear_session_id,
    week_of: reminder.week_of,
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
      type: z.enum(['progress', 'wear', 'weekly_summary']).optional(),
    }),
    responses: {
      200: { description: 'A page of reminders', schema: pageSchema(notificationSchema) },
      401: { description: 'Missing or invalid token' },
      403: { description: 'The path names another user' },
      404: { description: 'No profile' },
      422: { description: 'Invalid query' },
    },
    requiresProfile: true,
    handler: async (ctx, { query, user }, deps) => {
      const after = decodeCursor(query.cursor, ['timestamp', 'uuid']);
      const rows = await pageOfReminders(deps.knex, user.id, {
        status: query.status,
        type: query.type,
        limit: query.limit,
        cursorColumn: deps.knex.raw(cursorTimestamp('created_at')),
        after,
      });
      ctx.body = toPage(rows, query.limit, (row) => [row.cursor_at, row.id], presentReminder);
    },
  }),
];

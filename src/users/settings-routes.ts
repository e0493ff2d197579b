import { defineRoute } from '../api/route.js';
import { cognitoSubParams } from './schema.js';
import { putSettingsBody, settingsResponse } from './settings-schema.js';
import { readSettings, updateSettings } from './settings.js';

const SETTINGS = '/auth/users/:cognito_sub/settings';

const problems = {
  401: { description: 'Missing, malformed or expired token' },
  403: { description: 'The path names another user' },
  404: { description: 'No profile' },
};

export const settingsRoutes = [
  defineRoute({
    method: 'get',
    path: SETTINGS,
    summary: 'Reminder settings (the defaults until the first PUT)',
    tag: 'reminders',
    auth: 'jwt',
    params: cognitoSubParams,
    responses: {
      200: { description: 'The settings', schema: settingsResponse },
      ...problems,
    },
    requiresProfile: true,
    handler: async (ctx, { user }, deps) => {
      ctx.body = await readSettings(deps.knex, user.id);
    },
  }),
  defineRoute({
    method: 'put',
    path: SETTINGS,
    summary:
      'Change reminder settings: every field is optional, the ones left out keep their current value (or default). Always 200: settings exist, with their defaults, before any PUT. Re-plans the reminders',
    tag: 'reminders',
    auth: 'jwt',
    params: cognitoSubParams,
    body: putSettingsBody,
    responses: {
      200: { description: 'The settings after the change', schema: settingsResponse },
      ...problems,
      422: { description: 'Invalid body' },
    },
    requiresProfile: true,
    handler: async (ctx, { body, user }, deps) => {
      ctx.body = await updateSettings(deps.knex, deps.dispatcher, user.id, body);
    },
  }),
];

import { z } from 'zod';
import { defineRoute } from '../api/route.js';
import { cognitoSubParams } from '../users/schema.js';
import { collectExport } from './export.js';

export const exportRoutes = [
  defineRoute({
    method: 'get',
    path: '/auth/users/:cognito_sub/export',
    summary: 'Everything held about the user as one JSON document (GDPR access and portability)',
    tag: 'profile',
    auth: 'jwt',
    params: cognitoSubParams,
    responses: {
      200: {
        description: 'The export; image URLs are fresh presigned downloads (15 minutes)',
        schema: z.looseObject({ exported_at: z.string(), profile: z.looseObject({}) }),
      },
      401: { description: 'Missing or invalid token' },
      403: { description: 'The path names another user' },
      404: { description: 'No profile' },
    },
    requiresProfile: true,
    handler: async (ctx, { user }, deps) => {
      ctx.set('content-disposition', 'attachment; filename="aligner-tracker-export.json"');
      ctx.set('cache-control', 'no-store');
      ctx.body = await collectExport(deps.knex, deps.s3, user);
    },
  }),
];

import { z } from 'zod';
import { defineRoute } from '../route.js';

const readinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({ postgres: z.string(), redis: z.string(), migrations: z.string() }),
});

export const healthRoutes = [
  defineRoute({
    method: 'get',
    path: '/health',
    summary: 'Liveness: 200 while the process runs (no dependency checks)',
    tag: 'operations',
    auth: 'none',
    usesDatabase: false,
    responses: { 200: { description: 'Alive', schema: z.object({ status: z.literal('ok') }) } },
    handler: async (ctx) => {
      ctx.body = { status: 'ok' };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/ready',
    summary: 'Readiness: Postgres, Redis and migrations',
    tag: 'operations',
    auth: 'none',
    usesDatabase: false,
    responses: {
      200: { description: 'Ready to serve', schema: readinessSchema },
      503: { description: 'A dependency is not ready; `checks` names it', schema: readinessSchema },
    },
    handler: async (ctx, _input, deps) => {
      const report = await deps.readiness.check();
      ctx.status = report.ready ? 200 : 503;
      ctx.body = { status: report.ready ? 'ready' : 'not_ready', checks: report.checks };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics: HTTP durations by route template, queue depths, process',
    tag: 'operations',
    auth: 'none',
    usesDatabase: false,
    responses: { 200: { description: 'Prometheus text exposition format', mediaType: 'text/plain' } },
    handler: async (ctx, _input, deps) => {
      const { contentType, body } = await deps.metrics.render();
      ctx.type = contentType;
      ctx.body = body;
    },
  }),
];

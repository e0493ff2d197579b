import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../../shared/logger.js';
import type { Metrics } from '../../shared/metrics.js';
import { redactUrl } from '../../shared/redaction.js';
import { runWithContext } from '../../shared/request-context.js';
import { describeServerSpan } from '../../shared/tracing/spans.js';

// A caller's id is echoed only when it is a plain token: it lands in logs and job data.
const WELL_FORMED_ID = /^[A-Za-z0-9._-]{8,128}$/;

/**
 * Gives every request an id (docs/conventions.md#request-ids), runs the rest of the chain inside its context
 * so every log line and enqueued job carries it, and logs one line per request.
 */
export function requestContext(logger: Logger, metrics: Metrics): Middleware {
  return async (ctx, next) => {
    const given = ctx.get('x-request-id');
    const requestId = WELL_FORMED_ID.test(given) ? given : randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('x-request-id', requestId);
    const started = process.hrtime.bigint();
    await runWithContext({ requestId }, async () => {
      try {
        await next();
      } finally {
        const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
        const status = ctx.status;
        // Unmatched paths share one label: raw paths would hold user ids and explode cardinality.
        const route = (ctx as { _matchedRoute?: string })._matchedRoute;
        describeServerSpan(ctx.method, route, requestId);
        metrics.httpDuration.observe(
          { method: ctx.method, route: route ?? 'unmatched', status: String(status) },
          durationMs / 1000,
        );
        const entry = {
          method: ctx.method,
          route: route ?? null,
          url: redactUrl(ctx.originalUrl),
          status,
          duration_ms: Math.round(durationMs * 10) / 10,
        };
        if (ctx.path === '/health' || ctx.path === '/ready' || ctx.path === '/metrics')
          logger.debug(entry, 'request');
        else if (status >= 500) logger.error(entry, 'request failed');
        else logger.info(entry, 'request');
      }
    });
  };
}

import { SpanStatusCode, trace } from '@opentelemetry/api';
import { tracingStarted } from './state.js';

const tracer = trace.getTracer('aligner-tracker');

/**
 * Runs `work` as the root of a trace of its own: periodic work (the sweep, the prune)
 * belongs to no request, so what it enqueues starts traces linked to nothing.
 */
export async function inRootSpan<T>(name: string, work: () => Promise<T>): Promise<T> {
  if (!tracingStarted()) return work();
  return tracer.startActiveSpan(name, { root: true }, async (span) => {
    try {
      return await work();
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Names the incoming request's span after its route template (`GET /v1/treatment`), as the
 * HTTP semantic conventions ask, and ties it to the request id the logs and problem
 * responses carry. The HTTP instrumentation alone knows only the method.
 */
export function describeServerSpan(method: string, route: string | undefined, requestId: string): void {
  if (!tracingStarted()) return;
  const span = trace.getActiveSpan();
  if (!span) return;
  span.setAttribute('app.request_id', requestId);
  if (!route) return;
  span.updateName(`${method} ${route}`);
  span.setAttribute('http.route', route);
}

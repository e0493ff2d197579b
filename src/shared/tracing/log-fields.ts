import { isSpanContextValid, trace, TraceFlags } from '@opentelemetry/api';
import { tracingStarted } from './state.js';

/**
 * The trace of the span active where a line is logged, under the names OpenTelemetry's
 * log correlation uses (`trace_id`, `span_id`, `trace_flags`), so a log search and a
 * trace search meet. A request that was not sampled still has a trace id: it is the same
 * in the API's and the worker's lines, and `trace_flags` says `00` (no spans kept).
 */
export function traceLogFields(): { trace_id: string; span_id: string; trace_flags: string } | undefined {
  if (!tracingStarted()) return undefined;
  const context = trace.getActiveSpan()?.spanContext();
  if (!context || !isSpanContextValid(context)) return undefined;
  return {
    trace_id: context.traceId,
    span_id: context.spanId,
    trace_flags: (context.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? '01' : '00',
  };
}

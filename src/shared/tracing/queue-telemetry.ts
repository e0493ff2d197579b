import { BullMQOtel } from 'bullmq-otel';
import { tracingStarted } from './state.js';

/** The tracer name of BullMQ's producer and consumer spans. */
export const QUEUE_TRACER_NAME = 'aligner-tracker-queues';

let telemetry: BullMQOtel | undefined;

/**
 * BullMQ's own OpenTelemetry integration, for every Queue and Worker when tracing is on:
 * an `add` records the active trace in the job, and the worker runs the job in a span
 * whose parent is that trace, so a request's trace continues through its jobs. Undefined
 * when tracing is off: BullMQ then adds nothing to a job and starts no span.
 */
export function queueTelemetry(): { telemetry: BullMQOtel } | Record<string, never> {
  if (!tracingStarted()) return {};
  telemetry ??= new BullMQOtel({ tracerName: QUEUE_TRACER_NAME });
  return { telemetry };
}

import { register } from 'node:module';
import type { IncomingMessage } from 'node:http';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AwsInstrumentation } from '@opentelemetry/instrumentation-aws-sdk';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { redactUrl } from '../redaction.js';
import { markTracingStarted } from './state.js';

/** Probes and scrapes: answered every few seconds, never worth a trace. */
const UNTRACED_PATHS = new Set(['/health', '/ready', '/metrics']);

function redactedUrlAttributes(url: string): Record<string, string> {
  const redacted = redactUrl(url);
  const queryStart = redacted.indexOf('?');
  if (queryStart === -1) return { 'url.path': redacted };
  return { 'url.path': redacted.slice(0, queryStart), 'url.query': redacted.slice(queryStart + 1) };
}

/**
 * Starts OpenTelemetry tracing (docs/operations.md#tracing), for a process whose `OTEL_*`
 * variables ask for it (entry.ts decides). It must run before the modules it instruments
 * are loaded: each entry point calls it, then imports the rest of the process. The SDK takes
 * its exporter, endpoint, sampler and resource from the standard variables; the
 * instrumentations are the official ones for incoming and outgoing HTTP (OneSignal,
 * Jarvis, S3), Postgres, Redis and the AWS SDK, and BullMQ's own (queue-telemetry.ts).
 * `spanProcessors` replace the exporter the variables configure: the in-memory exporter of
 * test/support/tracing/in-memory-stack.mjs.
 */
export async function startTracing(
  processName: string,
  options: { spanProcessors?: SpanProcessor[] } = {},
): Promise<void> {
  // ESM modules are instrumented through a loader hook; only the modules an
  // instrumentation asks for are wrapped (the rest load as they are).
  // Traces only: the SDK would otherwise also start OTLP metrics (the instrumentations'
  // HTTP histograms, pushed every minute) and logs pipelines by default. Our metrics are
  // Prometheus's (/metrics) and our logs are stdout; an operator may still set these.
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

  const sdk = new NodeSDK({
    // `api` or `worker`: aligner-tracker-api, aligner-tracker-worker.
    serviceName: process.env.OTEL_SERVICE_NAME ?? `aligner-tracker-${processName}`,
    ...(options.spanProcessors ? { spanProcessors: options.spanProcessors } : {}),
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request: IncomingMessage) =>
          UNTRACED_PATHS.has((request.url ?? '').split('?')[0] ?? ''),
        // Paths and queries can name a patient (`/internal/users/by-email/{email}/…`):
        // spans get them as the logs do, redacted.
        startIncomingSpanHook: (request: IncomingMessage) => redactedUrlAttributes(request.url ?? '/'),
      }),
      // Only inside a trace: the worker's polling and the pools' housekeeping are not work.
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
      new AwsInstrumentation({ suppressInternalInstrumentation: true }),
    ],
  });
  sdk.start();
  await waitForAllMessagesAcknowledged();
  markTracingStarted(() => sdk.shutdown());
}

// The API and the worker in this one process (a small deployment's "worker beside the
// API"), built (dist/), with tracing recorded by the SDK's in-memory span exporter instead
// of an OTLP one. test/e2e/tracing-in-memory.test.ts runs it as a child process: jest's
// VM modules are reached by neither the loader hook nor the require patch the
// instrumentations rely on. Sending `spans` on stdin prints every finished span as one
// JSON line (`{"spans":[...]}`), in the OTLP receiver's shape (test/support/stubs/otlp-receiver.ts).
import { createInterface } from 'node:readline';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * A module of the build, by its path under dist/ (the built processes, as production runs them).
 * @param {string} path
 */
const built = (path) => import(new URL(`../../../dist/${path}`, import.meta.url).href);

const exporter = new InMemorySpanExporter();
const { startTracing } = await built('shared/tracing/start.js');
await startTracing('stack', { spanProcessors: [new SimpleSpanProcessor(exporter)] });
// The API first: it applies the migrations the worker waits for.
await built('api/api-process.js');
await built('worker/worker-process.js');

/**
 * The SDK's span as the OTLP receiver hands it over (OTLP numbers SpanKind from 1).
 * @param {import('@opentelemetry/sdk-trace-base').ReadableSpan} span
 */
const asReceived = (span) => ({
  service: String(span.resource.attributes['service.name']),
  scope: span.instrumentationScope.name,
  traceId: span.spanContext().traceId,
  spanId: span.spanContext().spanId,
  parentSpanId: span.parentSpanContext?.spanId,
  name: span.name,
  kind: span.kind + 1,
  attributes: Object.fromEntries(
    Object.entries(span.attributes).map(([key, value]) => [
      key,
      Array.isArray(value) ? value.join(',') : value,
    ]),
  ),
});

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'spans')
    process.stdout.write(`${JSON.stringify({ spans: exporter.getFinishedSpans().map(asReceived) })}\n`);
});

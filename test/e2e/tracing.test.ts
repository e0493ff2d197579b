import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TEST_HUBSPOT_SECRET } from '../support/config.js';
import { waitFor } from '../support/jobs.js';
import { startStack, type Stack } from '../support/processes.js';
import { OneSignalStub } from '../support/stubs/onesignal-stub.js';
import { OtlpReceiver, type ReceivedSpan } from '../support/stubs/otlp-receiver.js';
import { ancestry, expectRequestToJobChain, SpanKinds } from '../support/tracing/trace-tree.js';
import {
  asUser,
  deliverIntervalChange,
  HUBSPOT_WEBHOOK_PATH,
  patientWithReminder,
} from '../support/tracing/journeys.js';

// Tracing as production turns it on: the API and the worker as separate processes,
// configured by the standard OTEL_* variables only, exporting OTLP/HTTP to a collector
// stand-in on loopback (docs/operations.md#tracing).
const receiver = new OtlpReceiver();
const oneSignal = new OneSignalStub();
let stack: Stack;

const ONESIGNAL_ENV = {
  ONESIGNAL_APP_ID: 'trace-app',
  ONESIGNAL_REST_API_KEY: 'trace-rest-key',
  INTERNAL_API_KEYS: 'trace-internal-key',
  HUBSPOT_CLIENT_SECRET: TEST_HUBSPOT_SECRET,
};

beforeAll(async () => {
  await Promise.all([receiver.start(), oneSignal.start()]);
  stack = await startStack({
    ...ONESIGNAL_ENV,
    ONESIGNAL_API_URL: oneSignal.url,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    // Export within a fifth of a second rather than the default five; a metrics pipeline,
    // were one started, would push every 300 ms and show up in receiver.otherPaths.
    OTEL_BSP_SCHEDULE_DELAY: '200',
    OTEL_METRIC_EXPORT_INTERVAL: '300',
    OTEL_METRIC_EXPORT_TIMEOUT: '200',
  });
}, 120000);

afterAll(async () => {
  await stack?.stop();
  await Promise.all([receiver.stop(), oneSignal.stop()]);
});

/** The trace a response belongs to: its server span, found by the request id it answered with. */
async function traceOf(response: Response): Promise<{ traceId: string; root: ReceivedSpan }> {
  const requestId = response.headers.get('x-request-id');
  const root = await waitFor(
    async () => receiver.spans.find((span) => span.attributes['app.request_id'] === requestId),
    (span) => span !== undefined,
  );
  return { traceId: root!.traceId, root: root! };
}

/** Whether every ancestor of `span` has been exported yet (a parent ends, so is sent, after its children). */
function complete(span: ReceivedSpan): boolean {
  try {
    return ancestry(receiver.trace(span.traceId), span).at(-1)!.parentSpanId === undefined;
  } catch {
    return false;
  }
}

/**
 * The OneSignal call of a trace, once it and its ancestors are exported: the worker's
 * HTTP client span, which the stub saw as the `traceparent` of a request it received.
 */
async function oneSignalCallIn(traceId: string, method: string): Promise<ReceivedSpan> {
  const span = await waitFor(
    async () =>
      receiver
        .trace(traceId)
        .find(
          (candidate) =>
            candidate.kind === SpanKinds.client &&
            candidate.attributes['http.request.method'] === method &&
            String(candidate.attributes['url.full']).startsWith(oneSignal.url),
        ),
    (found) => found !== undefined && complete(found),
    20000,
  );
  const sent = oneSignal.calls.find((call) => call.traceparent?.split('-')[2] === span!.spanId);
  expect(sent).toBeDefined();
  expect(sent!.traceparent!.split('-')[1]).toBe(traceId);
  return span!;
}

describe('tracing on (OTEL_EXPORTER_OTLP_ENDPOINT set)', () => {
  it('an aligner change is one trace: the request, the reminder job it enqueued, and the OneSignal call', async () => {
    const sub = 'trace-aligner-change';
    await patientWithReminder(stack.base, oneSignal, sub, 'trace-aligner-change@example.com');
    const response = await asUser(stack.base, sub, 'POST', '/treatment/aligner-changes', {});
    expect(response.status).toBe(201);
    const { traceId, root } = await traceOf(response);
    expect(root.name).toBe('POST /auth/users/:cognito_sub/treatment/aligner-changes');

    const create = await oneSignalCallIn(traceId, 'POST');
    const picture = expectRequestToJobChain(receiver.trace(traceId), create, root.name, [
      'reminders/schedule-reminder',
    ]);
    expect(picture.at(-1)).toMatch(/^worker client POST/);
    // The old reminder's deletion at OneSignal belongs to the same trace.
    const cancel = await oneSignalCallIn(traceId, 'DELETE');
    expectRequestToJobChain(receiver.trace(traceId), cancel, root.name, ['reminders/cancel-reminder']);
    // Postgres and Redis spans from the official instrumentations, in both processes.
    const trace = receiver.trace(traceId);
    for (const service of ['aligner-tracker-api', 'aligner-tracker-worker']) {
      const scopes = new Set(trace.filter((span) => span.service === service).map((span) => span.scope));
      expect([...scopes]).toEqual(
        expect.arrayContaining([
          '@opentelemetry/instrumentation-pg',
          '@opentelemetry/instrumentation-ioredis',
        ]),
      );
    }
    // The API's log line for the request carries the trace beside the request id.
    const line = stack.api
      .output()
      .split('\n')
      .find(
        (entry) =>
          entry.includes(`"request_id":"${response.headers.get('x-request-id')}"`) &&
          entry.includes('"msg":"request"'),
      );
    expect(JSON.parse(line!)).toMatchObject({ trace_id: traceId, trace_flags: '01' });
    // And the worker's lines for the job carry the same trace.
    expect(stack.worker.output()).toContain(`"trace_id":"${traceId}"`);
  }, 60000);

  it('a HubSpot delivery is one trace: the webhook, the event job, the reminder job it caused, and OneSignal', async () => {
    const sub = 'trace-hubspot';
    const email = 'trace-hubspot@example.com';
    await patientWithReminder(stack.base, oneSignal, sub, email);
    const response = await deliverIntervalChange(stack.base, email);
    expect(response.status).toBe(200);
    const { traceId, root } = await traceOf(response);
    expect(root.name).toBe(`POST ${HUBSPOT_WEBHOOK_PATH}`);
    const create = await oneSignalCallIn(traceId, 'POST');
    expectRequestToJobChain(receiver.trace(traceId), create, root.name, [
      'hubspot-events/process-hubspot-event',
      'reminders/schedule-reminder',
    ]);
  }, 60000);

  it('the sweeper re-enqueues in traces of its own, linked to no request', async () => {
    const trace = await waitFor(
      async () => receiver.spans.find((span) => span.name === 'maintenance sweep'),
      (span) => span !== undefined,
      45000,
    );
    expect(trace!.parentSpanId).toBeUndefined();
    expect(trace!.service).toBe('aligner-tracker-worker');
    expect(receiver.trace(trace!.traceId).some((span) => span.service === 'aligner-tracker-api')).toBe(false);
  }, 60000);

  it('probes and scrapes are not traced, and nothing but traces is exported', async () => {
    for (const path of ['/health', '/ready', '/metrics'])
      expect((await fetch(`${stack.base}${path}`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(receiver.spans.filter((span) => /^GET \/(health|ready|metrics)|^GET$/.test(span.name))).toEqual(
      [],
    );
    expect(receiver.otherPaths).toEqual([]);
  });
});

describe('tracing off', () => {
  for (const [name, env] of [
    ['OTEL_SDK_DISABLED=true', { OTEL_SDK_DISABLED: 'true' }],
    ['OTEL_TRACES_EXPORTER=none', { OTEL_TRACES_EXPORTER: 'none' }],
  ] as const) {
    it(`with ${name} beside an endpoint, nothing is exported and no line carries a trace`, async () => {
      const quiet = new OtlpReceiver();
      await quiet.start();
      const off = await startStack({
        ...ONESIGNAL_ENV,
        ONESIGNAL_API_URL: oneSignal.url,
        OTEL_EXPORTER_OTLP_ENDPOINT: quiet.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '200',
        ...env,
      });
      try {
        const sub = `trace-off-${env.OTEL_SDK_DISABLED ? 'disabled' : 'none'}`;
        await patientWithReminder(off.base, oneSignal, sub, `${sub}@example.com`);
        const sent = oneSignal.creates().at(-1)!;
        expect(sent.traceparent).toBeUndefined();
        await new Promise((resolve) => setTimeout(resolve, 1000));
        expect({ exports: quiet.exports, other: quiet.otherPaths }).toEqual({ exports: 0, other: [] });
        expect(off.api.output()).not.toContain('trace_id');
        expect(off.worker.output()).not.toContain('trace_id');
      } finally {
        await off.stop();
        await quiet.stop();
      }
    }, 90000);
  }
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TEST_HUBSPOT_SECRET } from '../support/config.js';
import { createTestDatabase } from '../support/database.js';
import { freePort } from '../support/free-port.js';
import { waitFor } from '../support/jobs.js';
import { ensureBuilt, startNodeScript, type RunningProcess } from '../support/processes.js';
import { deleteKeys, REDIS_URL, uniqueQueuePrefix } from '../support/redis.js';
import type { ReceivedSpan } from '../support/stubs/otlp-receiver.js';
import { OneSignalStub } from '../support/stubs/onesignal-stub.js';
import { ancestry, expectRequestToJobChain, SpanKinds } from '../support/tracing/trace-tree.js';
import {
  asUser,
  deliverIntervalChange,
  HUBSPOT_WEBHOOK_PATH,
  patientWithReminder,
} from '../support/tracing/journeys.js';

// The same traces as test/e2e/tracing.test.ts, recorded by the SDK's in-memory span
// exporter in the one process of a small deployment (API and worker together,
// test/support/tracing/in-memory-stack.mjs): every span the SDK finished, not what an
// exporter chose to send. One HubSpot delivery and one aligner change each give a single
// trace, API request → job → OneSignal call, with every parent link right.

const SERVICE = 'aligner-tracker-stack';
const oneSignal = new OneSignalStub();
let stack: RunningProcess;
let base: string;
let dropDatabase: () => Promise<void>;
let prefix: string;

beforeAll(async () => {
  ensureBuilt();
  await oneSignal.start();
  const database = await createTestDatabase();
  dropDatabase = database.drop;
  prefix = uniqueQueuePrefix();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  stack = startNodeScript('test/support/tracing/in-memory-stack.mjs', {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: database.url,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    PORT: String(port),
    WORKER_PORT: String(await freePort()),
    ONESIGNAL_APP_ID: 'memory-app',
    ONESIGNAL_REST_API_KEY: 'memory-rest-key',
    ONESIGNAL_API_URL: oneSignal.url,
    INTERNAL_API_KEYS: 'memory-internal-key',
    HUBSPOT_CLIENT_SECRET: TEST_HUBSPOT_SECRET,
  });
  await stack.waitForLog('worker health port listening', 60_000);
}, 120_000);

afterAll(async () => {
  stack?.child.kill('SIGKILL');
  await stack?.exited;
  await deleteKeys(prefix);
  await dropDatabase?.();
  await oneSignal.stop();
});

/** Every span the in-memory exporter holds now. */
async function finishedSpans(): Promise<ReceivedSpan[]> {
  const before = stack.output().length;
  stack.child.stdin.write('spans\n');
  const line = await waitFor(
    async () =>
      stack
        .output()
        .slice(before)
        .split('\n')
        .find((entry) => entry.startsWith('{"spans":') && entry.endsWith('}')),
    (found) => found !== undefined,
    10_000,
    'the span dump',
  );
  return (JSON.parse(line!) as { spans: ReceivedSpan[] }).spans;
}

/** Whether every span of `trace` hangs from `root` through finished spans (none waits for its parent). */
function closed(trace: readonly ReceivedSpan[], root: ReceivedSpan): boolean {
  try {
    return trace.every((span) => ancestry(trace, span).at(-1) === root);
  } catch {
    return false;
  }
}

/**
 * The trace a response belongs to, once it holds the OneSignal call `method` and every
 * span of it has finished its parent too: the trace's spans, its root and the call.
 */
async function traceWithCall(
  response: Response,
  method: string,
): Promise<{ trace: ReceivedSpan[]; root: ReceivedSpan; call: ReceivedSpan }> {
  const requestId = response.headers.get('x-request-id');
  const found = await waitFor(
    async () => {
      const spans = await finishedSpans();
      const root = spans.find((span) => span.attributes['app.request_id'] === requestId);
      const trace = spans.filter((span) => span.traceId === root?.traceId);
      const call = trace.find(
        (span) =>
          span.kind === SpanKinds.client &&
          span.attributes['http.request.method'] === method &&
          String(span.attributes['url.full']).startsWith(oneSignal.url),
      );
      return root && call && closed(trace, root) ? { trace, root, call } : undefined;
    },
    (value) => value !== undefined,
    20_000,
    `the ${method} to OneSignal in the request's trace`,
  );
  return found!;
}

const services = { api: SERVICE, worker: SERVICE };

describe('tracing into the in-memory exporter, API and worker in one process', () => {
  it('an aligner change is one trace: request → reminder job → OneSignal call', async () => {
    const sub = 'memory-aligner-change';
    await patientWithReminder(base, oneSignal, sub, `${sub}@example.com`);
    const response = await asUser(base, sub, 'POST', '/treatment/aligner-changes', {});
    expect(response.status).toBe(201);

    const { trace, root, call } = await traceWithCall(response, 'POST');
    expect(root.name).toBe('POST /auth/users/:cognito_sub/treatment/aligner-changes');
    const picture = expectRequestToJobChain(
      trace,
      call,
      root.name,
      ['reminders/schedule-reminder'],
      services,
    );
    expect(picture.at(-1)).toMatch(/^stack client POST/);
    // The OneSignal stub received that very span as the call's parent.
    const sent = oneSignal.calls.find((recorded) => recorded.traceparent?.split('-')[2] === call.spanId);
    expect(sent?.traceparent?.split('-')[1]).toBe(root.traceId);
    // The old reminder's deletion at OneSignal belongs to the same trace.
    const deletion = await traceWithCall(response, 'DELETE');
    expect(deletion.root.spanId).toBe(root.spanId);
    expectRequestToJobChain(
      deletion.trace,
      deletion.call,
      root.name,
      ['reminders/cancel-reminder'],
      services,
    );
  }, 60_000);

  it('a HubSpot delivery is one trace: webhook → event job → reminder job → OneSignal call', async () => {
    const sub = 'memory-hubspot';
    const email = `${sub}@example.com`;
    await patientWithReminder(base, oneSignal, sub, email);
    const response = await deliverIntervalChange(base, email);
    expect(response.status).toBe(200);
    const { trace, root, call } = await traceWithCall(response, 'POST');
    expect(root.name).toBe(`POST ${HUBSPOT_WEBHOOK_PATH}`);
    expectRequestToJobChain(
      trace,
      call,
      root.name,
      ['hubspot-events/process-hubspot-event', 'reminders/schedule-reminder'],
      services,
    );
  }, 60_000);
});

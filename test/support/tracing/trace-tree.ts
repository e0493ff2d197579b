import { expect } from '@jest/globals';
import type { ReceivedSpan } from '../stubs/otlp-receiver.js';

/** OTLP SpanKind values. */
export const SpanKinds = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;

/** `span` and its ancestors, nearest first, up to the trace's root; throws on a broken link. */
export function ancestry(spans: readonly ReceivedSpan[], span: ReceivedSpan): ReceivedSpan[] {
  const byId = new Map(spans.map((candidate) => [candidate.spanId, candidate]));
  const chain = [span];
  let current = span;
  while (current.parentSpanId) {
    const parent = byId.get(current.parentSpanId);
    if (!parent)
      throw new Error(`span "${current.name}" names a parent ${current.parentSpanId} not in its trace`);
    chain.push(parent);
    current = parent;
  }
  return chain;
}

/** A compact picture of a chain, root first, for assertions and failure messages. */
export function describeChain(chain: readonly ReceivedSpan[]): string[] {
  const kinds = Object.fromEntries(Object.entries(SpanKinds).map(([name, kind]) => [kind, name]));
  return [...chain]
    .reverse()
    .map((span) => `${span.service.replace('aligner-tracker-', '')} ${kinds[span.kind]} ${span.name}`);
}

/**
 * Asserts the chain from a trace's API request span to `span` goes request → enqueue → job → …,
 * and that every span of the trace hangs from that root. Returns the chain's picture.
 */
export function expectRequestToJobChain(
  trace: readonly ReceivedSpan[],
  span: ReceivedSpan,
  request: string,
  jobs: string[],
  services: { api: string; worker: string } = {
    api: 'aligner-tracker-api',
    worker: 'aligner-tracker-worker',
  },
): string[] {
  const chain = ancestry(trace, span);
  const picture = describeChain(chain);
  const root = chain.at(-1)!;
  expect({ root: root.name, kind: root.kind, service: root.service, parent: root.parentSpanId }).toEqual({
    root: request,
    kind: SpanKinds.server,
    service: services.api,
    parent: undefined,
  });
  // Each job (`queue/job`), in order: enqueued (producer) by the process before it, run
  // (consumer) by the worker, the producer being the consumer's parent.
  let from = chain.length - 1;
  for (const step of jobs) {
    const [queue, job] = step.split('/');
    const producer = chain.findLastIndex(
      (candidate, index) =>
        index < from &&
        candidate.kind === SpanKinds.producer &&
        candidate.attributes['bullmq.queue.name'] === queue,
    );
    expect({ picture, step, producer: producer >= 0 }).toEqual({ picture, step, producer: true });
    const consumer = chain[producer - 1];
    expect({
      picture,
      step,
      kind: consumer?.kind,
      service: consumer?.service,
      job: consumer?.attributes['bullmq.job.name'],
      parent: consumer?.parentSpanId,
    }).toEqual({
      picture,
      step,
      kind: SpanKinds.consumer,
      service: services.worker,
      job,
      parent: chain[producer]!.spanId,
    });
    from = producer - 1;
  }
  // Every span of the trace hangs from its root: nothing exported names a missing parent.
  for (const member of trace) expect(ancestry(trace, member).at(-1)!.spanId).toBe(root.spanId);
  return picture;
}

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

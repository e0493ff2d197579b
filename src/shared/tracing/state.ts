/**
 * Whether tracing was started in this process, and how to stop it. Kept apart from
 * start.ts, which loads the SDK: code that only asks (the queues, the logger, a
 * shutdown) must not load it when tracing is off.
 */
let stop: (() => Promise<void>) | undefined;

export function tracingStarted(): boolean {
  return stop !== undefined;
}

export function markTracingStarted(shutdown: () => Promise<void>): void {
  stop = shutdown;
}

/** Sends the spans still buffered, then stops; the last step of a graceful shutdown. */
export async function stopTracing(): Promise<void> {
  const running = stop;
  stop = undefined;
  await running?.();
}

import type { Server, ServerResponse } from 'node:http';
import { responsesInFlight } from './responses-in-flight.js';

/**
 * Graceful close for an HTTP server (docs/operations.md#shutdown): stop accepting, answer every request in
 * flight, then close. `server.close()` alone only drops the keep-alive connections that
 * are idle at that moment: one whose request is still in flight stays open after its
 * answer (until `keepAliveTimeout`), and the close never completes. So, once closing,
 * every answer not yet started says `Connection: close`, and a connection whose answer
 * was already under way is dropped as soon as that answer is finished.
 *
 * Call once, right after creating the server; the returned function closes it.
 */
export function gracefulClose(server: Server): () => Promise<void> {
  let closing = false;
  const answering = responsesInFlight(server);

  const closeAfterAnswer = (res: ServerResponse) => {
    if (!res.headersSent) res.shouldKeepAlive = false;
    else res.once('finish', () => setImmediate(() => server.closeIdleConnections()));
  };

  answering.onEach((res) => {
    if (closing) closeAfterAnswer(res);
  });

  return async () => {
    closing = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const res of [...answering.all()]) closeAfterAnswer(res);
    server.closeIdleConnections();
    await closed;
  };
}

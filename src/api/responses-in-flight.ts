import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * The answers a server has under way, by connection: what a graceful close must let
 * finish, and what a refusal from Node's parser must not write into the middle of.
 * One per server (both of them ask for it), one entry per request.
 */
export interface ResponsesInFlight {
  /** The answer under way on this connection, if any. */
  on(socket: Socket): ServerResponse | undefined;
  all(): Iterable<ServerResponse>;
  /** Called for each new request's answer, after it is tracked. */
  onEach(listener: (res: ServerResponse) => void): void;
}

const byServer = new WeakMap<Server, ResponsesInFlight>();

export function responsesInFlight(server: Server): ResponsesInFlight {
  const known = byServer.get(server);
  if (known) return known;
  const bySocket = new Map<Socket, ServerResponse>();
  const listeners: Array<(res: ServerResponse) => void> = [];
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    bySocket.set(req.socket, res);
    res.once('close', () => {
      if (bySocket.get(req.socket) === res) bySocket.delete(req.socket);
    });
    for (const listener of listeners) listener(res);
  });
  const tracker: ResponsesInFlight = {
    on: (socket) => bySocket.get(socket),
    all: () => bySocket.values(),
    onEach: (listener) => listeners.push(listener),
  };
  byServer.set(server, tracker);
  return tracker;
}

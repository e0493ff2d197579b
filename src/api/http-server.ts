import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type Koa from 'koa';
import type { Logger } from '../shared/logger.js';
import { problemDocument, problemTitle, type Problem } from './errors/problem.js';
import { responsesInFlight } from './responses-in-flight.js';

/**
 * The API's HTTP server. Requests Node's parser refuses (a malformed request line,
 * both Content-Length and Transfer-Encoding, headers over 16 KiB, a request too slow
 * to arrive) never reach Koa, and Node would answer them with a bare status line:
 * here they get a problem document like every other refusal (docs/conventions.md#errors).
 */
export function createApiServer(app: Koa, logger: Logger): Server {
  const server = createServer(app.callback());
  // Longer than a load balancer's idle timeout, so it never reuses a socket we just closed.
  server.keepAliveTimeout = 65_000;
  const answering = responsesInFlight(server);
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // The client went away: there is nobody to answer.
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const refuse = () => {
      const problem = refusal(error);
      const requestId = randomUUID();
      // debug: anyone can send these, and they say nothing about the service.
      logger.debug(
        { request_id: requestId, status: problem.status, reason: error.code },
        'request refused by the HTTP parser',
      );
      closeAfterFlush(socket, rawProblemResponse(problem, requestId));
    };
    // A request pipelined behind one still being answered: writing now would corrupt
    // that answer, so the refusal follows it.
    const underWay = answering.on(socket);
    if (underWay) underWay.once('close', () => (socket.writable ? refuse() : socket.destroy()));
    else refuse();
  });
  return server;
}

/** Ends the connection once what was written has gone out, whether or not the client closes its side. */
function closeAfterFlush(socket: Socket, last = ''): void {
  socket.end(last, () => socket.destroy());
}

function refusal(error: NodeJS.ErrnoException): Problem {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, code: 'headers_too_large', detail: 'The request headers are too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: 'request_timeout', detail: 'The request did not arrive in time' };
    default:
      return { status: 400, code: 'malformed_request', detail: 'The request is not valid HTTP/1.1' };
  }
}

function rawProblemResponse(problem: Problem, requestId: string): string {
  const body = JSON.stringify(problemDocument(problem, requestId));
  return [
    `HTTP/1.1 ${problem.status} ${problemTitle(problem.status)}`,
    'content-type: application/problem+json',
    `x-request-id: ${requestId}`,
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
    '',
    body,
  ].join('\r\n');
}

import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import type { TestApp } from './app.js';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface RawRequest {
  method: string;
  /** Sent byte for byte: fetch would normalise `..`, `%2e%2e` and friends away. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body with `transfer-encoding: chunked` (no content-length). */
  chunked?: boolean;
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/**
 * One request to the app, exactly as given. The server may answer (413, 401…) before
 * reading the whole body and close the connection: a write error after the response
 * has arrived is not a failure of the request.
 */
export function rawRequest(app: TestApp, options: RawRequest): Promise<RawResponse> {
  const { hostname, port } = new URL(app.url);
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined && !options.chunked)
    headers['content-length'] = String(Buffer.byteLength(options.body));
  if (options.chunked) headers['transfer-encoding'] = 'chunked';
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(
      { hostname, port, path: options.path, method: options.method, headers, agent },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.end(options.body);
  });
}

/**
 * Sends `bytes` on a new connection and returns everything the server writes back
 * until it closes the connection: for requests Node's HTTP parser must refuse, which
 * no HTTP client library will send.
 */
export function rawExchange(app: TestApp, bytes: string): Promise<string> {
  const { hostname, port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.end(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

/** The first HTTP/1.1 response in `text` (as rawExchange returns it). */
export function parseRawResponse(text: string): RawResponse {
  const [head = '', ...rest] = text.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => [
      line.slice(0, line.indexOf(':')).toLowerCase(),
      line.slice(line.indexOf(':') + 1).trim(),
    ]),
  );
  const length = Number(headers['content-length'] ?? 0);
  return { status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n').slice(0, length) };
}

export function closeAgent(): void {
  agent.destroy();
}

/**
 * Why `response` is not an RFC 9457 problem document as this service writes them
 * (src/api/errors/problem.ts, docs/conventions.md#errors), or undefined when it is one.
 */
export function problemDefect(response: RawResponse): string | undefined {
  const type = response.headers['content-type'];
  if (type !== 'application/problem+json') return `content-type ${JSON.stringify(type)}`;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(response.body) as Record<string, unknown>;
  } catch {
    return `body is not JSON: ${response.body.slice(0, 100)}`;
  }
  if (body === null || typeof body !== 'object') return 'body is not an object';
  if (body.status !== response.status) return `status ${String(body.status)} in the body`;
  if (typeof body.code !== 'string' || !/^[a-z][a-z0-9_]*$/.test(body.code))
    return `code ${JSON.stringify(body.code)}`;
  if (body.type !== `urn:aligner-tracker:problem:${body.code}`) return `type ${JSON.stringify(body.type)}`;
  if (typeof body.title !== 'string' || typeof body.detail !== 'string') return 'no title or detail';
  if (typeof body.request_id !== 'string' || body.request_id !== response.headers['x-request-id'])
    return 'request_id missing or not the x-request-id header';
  if (
    body.errors !== undefined &&
    !(
      Array.isArray(body.errors) &&
      body.errors.every(
        (error: unknown) =>
          typeof (error as { path?: unknown }).path === 'string' &&
          typeof (error as { message?: unknown }).message === 'string',
      )
    )
  )
    return 'errors is not a list of { path, message }';
  return undefined;
}

/** The body of a problem document's `code`, or undefined. */
export function problemCode(response: RawResponse): string | undefined {
  try {
    return (JSON.parse(response.body) as { code?: string }).code;
  } catch {
    return undefined;
  }
}

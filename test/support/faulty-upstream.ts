import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { closeServer, listenOnLoopback, readBody } from './stubs/loopback.js';

/**
 * How an upstream call goes wrong. `500` and `429` are refusals: the upstream did
 * nothing. The others happen after it acted, as in life: the work is done and the
 * answer is lost (`timeout`: none in time; `reset`: the socket reset halfway through
 * the body) or unreadable (`malformed`: a 200 whose JSON is cut short).
 */
export type Fault = '500' | '429' | 'timeout' | 'reset' | 'malformed';
export const FAULTS: readonly Fault[] = ['500', '429', 'timeout', 'reset', 'malformed'];

export type Operation = 'create' | 'cancel' | 'change-dentist';

export interface UpstreamCall {
  operation: Operation;
  /** The idempotency key (create), the OneSignal id (cancel) or the email (change-dentist). */
  key: string;
  method: string;
  /** As sent, still percent-encoded, with the query. */
  rawUrl: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  fault: Fault | undefined;
  at: number;
}

/** How long a `timeout` holds its answer: far beyond the clients' timeout in the tests. */
const HOLD_MS = 5000;
const CHANGE_DENTIST = /^\/api\/smilewhite_app\/customer\/change-dentist\/([^/]+)\/$/;

/**
 * OneSignal (`POST /notifications`, `DELETE /notifications/{id}`) and Jarvis
 * (`POST …/change-dentist/{email}/`) on one loopback port, behaving as they do —
 * OneSignal creates once per `idempotency_key` and a second delete is a 404; Jarvis
 * opens one ticket per customer and answers 409 while it is open — except for the
 * faults scripted per key. Real sockets, so a reset is a TCP reset and a timeout is
 * the client's own timer.
 */
export class FaultyUpstream {
  readonly calls: UpstreamCall[] = [];
  private readonly faults = new Map<string, { fault: Fault; remaining: number }>();
  private readonly notifications = new Map<string, string>();
  private readonly live = new Set<string>();
  private readonly tickets = new Map<string, string>();
  private server: Server | undefined;
  url = '';

  /** The next `times` calls for `key` go wrong as `fault` (Infinity: every call). */
  failNext(key: string, fault: Fault, times = 1): void {
    this.faults.set(key, { fault, remaining: times });
  }

  /** A notification that exists at OneSignal (to be cancelled). */
  seedNotification(onesignalId: string): void {
    this.live.add(onesignalId);
  }

  isLive(onesignalId: string): boolean {
    return this.live.has(onesignalId);
  }

  /** The OneSignal id created for an idempotency key, if any. */
  notificationFor(key: string): string | undefined {
    return this.notifications.get(key);
  }

  ticketFor(email: string): string | undefined {
    return this.tickets.get(email);
  }

  callsFor(key: string): UpstreamCall[] {
    return this.calls.filter((call) => call.key === key);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void readBody(req).then((rawBody) => {
        const url = new URL(req.url ?? '/', 'http://upstream');
        const dentist = CHANGE_DENTIST.exec(url.pathname);
        const cancel = /^\/notifications\/([^/]+)$/.exec(url.pathname);
        let operation: Operation;
        let key: string;
        if (req.method === 'POST' && url.pathname === '/notifications') {
          operation = 'create';
          key = String((JSON.parse(rawBody) as { idempotency_key?: unknown }).idempotency_key);
        } else if (req.method === 'DELETE' && cancel) {
          operation = 'cancel';
          key = decodeURIComponent(cancel[1]!);
        } else if (req.method === 'POST' && dentist) {
          operation = 'change-dentist';
          key = decodeURIComponent(dentist[1]!);
        } else {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end('{"errors":["no such endpoint"]}');
          return;
        }
        const plan = this.faults.get(key);
        const fault = plan && plan.remaining > 0 ? plan.fault : undefined;
        if (plan && fault) plan.remaining -= 1;
        this.calls.push({
          operation,
          key,
          method: req.method ?? '',
          rawUrl: req.url ?? '',
          headers: req.headers,
          rawBody,
          fault,
          at: Date.now(),
        });

        if (fault === '500') return send(500, 'upstream exploded', 'text/plain');
        if (fault === '429')
          return send(429, JSON.stringify({ errors: ['rate limited'] }), 'application/json', {
            'retry-after': '1',
          });
        // Any other fault comes after the upstream acted.
        const [status, body] = this.act(operation, key);
        if (fault === 'timeout') {
          // The fault: no answer for HOLD_MS (a fixed time, past the client's timeout), then a close.
          setTimeout(() => res.destroy(), HOLD_MS).unref();
          return;
        }
        if (fault === 'reset') {
          res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
          res.write(body.slice(0, Math.floor(body.length / 2)));
          // Let the half body leave, then an RST instead of the rest (a fixed 20 ms: the fault's shape).
          setTimeout(() => req.socket.resetAndDestroy(), 20);
          return;
        }
        if (fault === 'malformed') return send(200, body.slice(0, -3), 'application/json');
        return send(status, body, 'application/json');

        function send(code: number, text: string, type: string, headers: Record<string, string> = {}) {
          if (res.destroyed) return;
          res.writeHead(code, { 'content-type': type, ...headers });
          res.end(text);
        }
      });
    });
    this.url = await listenOnLoopback(this.server);
    return this;
  }

  /** What the real service does with the call: [status, JSON body]. */
  private act(operation: Operation, key: string): [number, string] {
    if (operation === 'create') {
      const id = this.notifications.get(key) ?? `os-${key}`;
      this.notifications.set(key, id);
      this.live.add(id);
      return [200, JSON.stringify({ id, external_id: null })];
    }
    if (operation === 'cancel') {
      if (!this.live.delete(key)) return [404, JSON.stringify({ errors: ['Notification not found'] })];
      return [200, JSON.stringify({ success: true })];
    }
    if (this.tickets.has(key)) return [409, JSON.stringify({ detail: 'Dentist change already pending' })];
    const ticket = `T-${this.tickets.size + 1}`;
    this.tickets.set(key, ticket);
    return [200, JSON.stringify({ ticket: { id: ticket } })];
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }
}

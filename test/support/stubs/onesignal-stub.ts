import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { closeServer, listenOnLoopback, readBody } from './loopback.js';

export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  /** The W3C trace context the caller sent, when it traces. */
  traceparent: string | undefined;
  body: unknown;
  at: number;
}

/**
 * A OneSignal stand-in on loopback, for tests and benchmarks that run the worker as
 * its own process (where nock cannot reach). It answers like OneSignal: creating is
 * idempotent on `idempotency_key`, cancelling answers 200 once and 404 after.
 */
export class OneSignalStub {
  readonly calls: RecordedCall[] = [];
  private readonly byKey = new Map<string, string>();
  private readonly live = new Set<string>();
  private server: Server | undefined;
  url = '';

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      void readBody(req).then((raw) => {
        const url = new URL(req.url ?? '/', 'http://stub');
        const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
        this.calls.push({
          method: req.method ?? '',
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          authorization: req.headers.authorization,
          traceparent: req.headers.traceparent as string | undefined,
          body,
          at: Date.now(),
        });
        const send = (status: number, payload: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(payload));
        };
        if (req.method === 'POST' && url.pathname === '/notifications') {
          const key = String(body?.idempotency_key ?? randomUUID());
          const id = this.byKey.get(key) ?? randomUUID();
          this.byKey.set(key, id);
          this.live.add(id);
          return send(200, { id, external_id: null });
        }
        const cancel = /^\/notifications\/([^/]+)$/.exec(url.pathname);
        if (req.method === 'DELETE' && cancel) {
          const id = decodeURIComponent(cancel[1]!);
          if (!this.live.delete(id)) return send(404, { errors: ['Notification not found'] });
          return send(200, { success: true });
        }
        send(404, { errors: ['no such endpoint'] });
      });
    });
    this.url = await listenOnLoopback(this.server, port);
    return this;
  }

  creates(): RecordedCall[] {
    return this.calls.filter((call) => call.method === 'POST');
  }

  /** Notifications created and not deleted: what would still reach phones. */
  liveIds(): string[] {
    return [...this.live];
  }

  cancels(): RecordedCall[] {
    return this.calls.filter((call) => call.method === 'DELETE');
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }
}

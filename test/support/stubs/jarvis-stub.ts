import { createServer, type Server } from 'node:http';
import { closeServer, listenOnLoopback, readBody } from './loopback.js';

export interface JarvisCall {
  method: string;
  /** As sent, still percent-encoded: what the encoding tests look at. */
  rawPath: string;
  authorization: string | undefined;
  contentType: string | undefined;
  /** The body's bytes as text, unparsed. */
  rawBody: string;
  at: number;
}

export interface ScriptedAnswer {
  status: number;
  body?: unknown;
  /** Hold the answer this long (to make the caller time out). */
  delayMs?: number;
}

const CHANGE_DENTIST = /^\/api\/smilewhite_app\/customer\/change-dentist\/([^/]+)\/$/;

/**
 * A Jarvis stand-in on loopback, for tests that run the worker as its own process
 * (where nock cannot reach). It answers like Jarvis: the first change for a customer
 * opens a ticket (200), another while that ticket is open is a 409. Answers can also
 * be scripted, one per call, ahead of that behaviour.
 */
export class JarvisStub {
  readonly calls: JarvisCall[] = [];
  private readonly openTickets = new Map<string, string>();
  private readonly script: ScriptedAnswer[] = [];
  private server: Server | undefined;
  private tickets = 0;
  url = '';

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      void readBody(req).then(async (rawBody) => {
        const rawPath = req.url ?? '/';
        this.calls.push({
          method: req.method ?? '',
          rawPath,
          authorization: req.headers.authorization,
          contentType: req.headers['content-type'],
          rawBody,
          at: Date.now(),
        });
        const send = (status: number, payload: unknown) => {
          if (res.destroyed) return;
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(payload));
        };
        const scripted = this.script.shift();
        if (scripted) {
          // A scripted slow answer: a fixed delay is the behaviour a test asked for.
          if (scripted.delayMs) await new Promise((resolve) => setTimeout(resolve, scripted.delayMs));
          return send(scripted.status, scripted.body ?? {});
        }
        const match = CHANGE_DENTIST.exec(rawPath);
        if (req.method !== 'POST' || !match) return send(404, { detail: 'Not found.' });
        const email = decodeURIComponent(match[1]!);
        if (this.openTickets.has(email)) return send(409, { detail: 'Dentist change already pending' });
        this.tickets += 1;
        const id = `ticket-${this.tickets}`;
        this.openTickets.set(email, id);
        send(200, { ticket: { id } });
      });
    });
    this.url = await listenOnLoopback(this.server, port);
    return this;
  }

  /** Customers with a ticket opened: each change Jarvis really made. */
  ticketsByEmail(): Map<string, string> {
    return new Map(this.openTickets);
  }

  /** The next calls get these answers, in order, whatever they ask. */
  answerNext(...answers: ScriptedAnswer[]): void {
    this.script.push(...answers);
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }
}

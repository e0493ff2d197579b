import { createServer, request, type Server } from 'node:http';
import { closeServer, listenOnLoopback, readBody } from './stubs/loopback.js';

export interface ProxiedCall {
  method: string;
  path: string;
  body: string;
  /** The stub's answer, once it came back. */
  status?: number;
  answer?: string;
  /** True once the answer was written to the caller; false when the caller went away first. */
  delivered?: boolean;
  /** The caller closed the connection before its answer was written (e.g. it was killed). */
  callerGone: boolean;
}

/**
 * A loopback proxy in front of a stub server. Each call reaches the stub at once (its
 * effect happens), but the answer can be held back — until `release()`, or for a fixed
 * delay — so the caller's job stays active deterministically: a worker killed meanwhile
 * never gets it (a lost answer), a worker stopping gracefully waits for it.
 */
export class HoldingProxy {
  readonly calls: ProxiedCall[] = [];
  private server: Server | undefined;
  private gate: Promise<void> = Promise.resolve();
  private openGate: () => void = () => undefined;
  private delayMs = 0;
  private waitingAnswers = 0;
  url = '';

  constructor(private readonly target: () => string) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void (async () => {
        const call: ProxiedCall = {
          method: req.method ?? '',
          path: req.url ?? '/',
          body: await readBody(req),
          callerGone: false,
        };
        res.once('close', () => {
          if (!res.writableFinished) call.callerGone = true;
        });
        this.calls.push(call);
        this.waitingAnswers += 1;
        try {
          const answer = await this.forward(req.headers, call);
          call.status = answer.status;
          call.answer = answer.body;
          // A fixed delay on purpose (delay()): the late answer a test asked for.
          if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
          await this.gate;
          if (call.callerGone || res.destroyed || req.socket.destroyed) {
            call.delivered = false;
            return;
          }
          res.writeHead(answer.status, { 'content-type': 'application/json' });
          res.end(answer.body);
          call.delivered = true;
        } finally {
          this.waitingAnswers -= 1;
        }
      })();
    });
    this.url = await listenOnLoopback(this.server);
    return this;
  }

  /** Answers are held from now until `release()`. */
  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.openGate();
    this.gate = Promise.resolve();
  }

  /** Every answer waits this long after the stub gave it (0: none). */
  delay(ms: number): void {
    this.delayMs = ms;
  }

  /** Calls that reached the stub and whose answer has not been written (or dropped) yet. */
  get held(): number {
    return this.waitingAnswers;
  }

  /** Held calls whose caller has gone away meanwhile. */
  get abandoned(): number {
    return this.calls.filter((call) => call.callerGone && call.delivered === undefined).length;
  }

  async stop(): Promise<void> {
    this.release();
    await closeServer(this.server);
  }

  private forward(
    headers: Record<string, string | string[] | undefined>,
    call: ProxiedCall,
  ): Promise<{ status: number; body: string }> {
    const target = new URL(call.path, this.target());
    return new Promise((resolve, reject) => {
      const outgoing = request(
        target,
        {
          method: call.method,
          agent: false,
          headers: Object.fromEntries(
            ['authorization', 'content-type'].flatMap((name) =>
              typeof headers[name] === 'string' ? [[name, headers[name]]] : [],
            ),
          ),
        },
        (incoming) => {
          void readBody(incoming).then((body) => resolve({ status: incoming.statusCode ?? 502, body }));
        },
      );
      outgoing.on('error', reject);
      outgoing.end(call.body);
    });
  }
}

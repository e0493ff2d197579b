import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { seededRandom, type Random } from '../../../bench/lib/random.js';
import { closeServer, listenOnLoopback, readBody } from '../stubs/loopback.js';

/**
 * OneSignal and Jarvis stand-ins on loopback that also misbehave on purpose: some
 * answers are 500s, some 429 with `Retry-After`, some slow (docs/reminders.md#schedule, docs/dentists.md#jarvis: the worker
 * must retry, wait, and still end every row in its final state). A fault is decided
 * before the stub acts, so a faulted call changed nothing and the retry does the work.
 * Faults per key (one notification, one dentist change) are capped, so every job ends
 * within a few backoff steps and a bounded run can be reconciled exactly.
 */
export interface FaultPlan {
  /** Share of calls answered 500 (before acting). */
  errorRate: number;
  /** Share of calls answered 429 with `Retry-After: retryAfterSeconds`. */
  rateLimitRate: number;
  /** Share of calls answered after `slowMs` (then normally). */
  slowRate: number;
  slowMs: number;
  retryAfterSeconds: number;
  /** At most this many 500/429 per key: bounded retries. */
  maxFaultsPerKey: number;
  seed: number;
}

export const NO_FAULTS: FaultPlan = {
  errorRate: 0,
  rateLimitRate: 0,
  slowRate: 0,
  slowMs: 0,
  retryAfterSeconds: 1,
  maxFaultsPerKey: 0,
  seed: 1,
};

export interface FaultCounts {
  calls: number;
  error500: number;
  rateLimited429: number;
  slow: number;
  /** Calls refused because the credential was not the configured one. */
  unauthorized: number;
}

export interface ScriptedAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Fault = 'error' | 'rate_limit' | 'slow' | undefined;

class FaultInjector {
  readonly counts: FaultCounts = { calls: 0, error500: 0, rateLimited429: 0, slow: 0, unauthorized: 0 };
  private readonly perKey = new Map<string, number>();
  private readonly random: Random;

  constructor(private readonly plan: FaultPlan) {
    this.random = seededRandom(plan.seed);
  }

  decide(key: string): Fault {
    const draw = this.random();
    const { errorRate, rateLimitRate, slowRate } = this.plan;
    const used = this.perKey.get(key) ?? 0;
    if (draw < errorRate + rateLimitRate && used < this.plan.maxFaultsPerKey) {
      this.perKey.set(key, used + 1);
      if (draw < errorRate) {
        this.counts.error500 += 1;
        return 'error';
      }
      this.counts.rateLimited429 += 1;
      return 'rate_limit';
    }
    if (draw >= errorRate + rateLimitRate && draw < errorRate + rateLimitRate + slowRate) {
      this.counts.slow += 1;
      return 'slow';
    }
    return undefined;
  }

  /** Answers the fault (true) or waits out a slow one and lets the stub act (false). */
  async apply(fault: Fault, res: ServerResponse): Promise<boolean> {
    // The 'slow' fault is a fixed delay: the answer the client's timeout must survive or cut.
    if (fault === 'slow') await new Promise((resolve) => setTimeout(resolve, this.plan.slowMs));
    if (fault === 'error') {
      send(res, 500, { errors: ['injected failure'] });
      return true;
    }
    if (fault === 'rate_limit') {
      send(
        res,
        429,
        { errors: ['injected rate limit'] },
        { 'retry-after': String(this.plan.retryAfterSeconds) },
      );
      return true;
    }
    return false;
  }
}

function send(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}) {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(payload));
}

abstract class FaultyStub {
  protected readonly faults: FaultInjector;
  private readonly script: ScriptedAnswer[] = [];
  private server: Server | undefined;
  url = '';

  constructor(
    private readonly expectedAuthorization: string,
    plan: FaultPlan,
  ) {
    this.faults = new FaultInjector(plan);
  }

  get counts(): FaultCounts {
    return this.faults.counts;
  }

  /** The next calls get these answers, in order, before any fault or behaviour. */
  answerNext(...answers: ScriptedAnswer[]): void {
    this.script.push(...answers);
  }

  protected abstract handle(req: IncomingMessage, raw: string, res: ServerResponse): Promise<void>;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void readBody(req).then(async (raw) => {
        this.faults.counts.calls += 1;
        if (req.headers.authorization !== this.expectedAuthorization) {
          this.faults.counts.unauthorized += 1;
          return send(res, 401, { errors: ['bad credentials'] });
        }
        const scripted = this.script.shift();
        if (scripted) return send(res, scripted.status, scripted.body ?? {}, scripted.headers);
        await this.handle(req, raw, res);
      });
    });
    // Keep-alive sockets from the worker must not hold the close up.
    this.server.keepAliveTimeout = 1000;
    this.url = await listenOnLoopback(this.server);
    return this;
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }
}

export interface StubNotification {
  id: string;
  idempotencyKey: string;
  externalId: string;
  type: string;
  sendAfter: string;
}

/**
 * OneSignal: creating is idempotent on `idempotency_key` (the reminder id), cancelling
 * answers 200 once and 404 after. Keeps what it holds, for reconciliation.
 */
export class FaultyOneSignal extends FaultyStub {
  /** By idempotency key (our reminder id). */
  readonly notifications = new Map<string, StubNotification>();
  readonly live = new Set<string>();
  readonly cancelled = new Set<string>();
  createCalls = 0;
  cancelCalls = 0;

  constructor(restKey: string, plan: FaultPlan = NO_FAULTS) {
    super(`Key ${restKey}`, plan);
  }

  protected async handle(req: IncomingMessage, raw: string, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stub');
    if (req.method === 'POST' && url.pathname === '/notifications') {
      this.createCalls += 1;
      const body = JSON.parse(raw) as {
        idempotency_key?: string;
        include_aliases?: { external_id?: string[] };
        data?: { type?: string };
        send_after?: string;
      };
      const key = String(body.idempotency_key ?? randomUUID());
      if (await this.faults.apply(this.faults.decide(`create:${key}`), res)) return;
      let notification = this.notifications.get(key);
      if (!notification) {
        notification = {
          id: randomUUID(),
          idempotencyKey: key,
          externalId: body.include_aliases?.external_id?.[0] ?? '',
          type: body.data?.type ?? '',
          sendAfter: body.send_after ?? '',
        };
        this.notifications.set(key, notification);
        this.live.add(notification.id);
      }
      return send(res, 200, { id: notification.id, external_id: null });
    }
    const cancel = /^\/notifications\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'DELETE' && cancel) {
      this.cancelCalls += 1;
      const id = decodeURIComponent(cancel[1]!);
      if (await this.faults.apply(this.faults.decide(`cancel:${id}`), res)) return;
      if (!this.live.delete(id)) return send(res, 404, { errors: ['Notification not found'] });
      this.cancelled.add(id);
      return send(res, 200, { success: true });
    }
    send(res, 404, { errors: ['no such endpoint'] });
  }
}

export interface StubTicket {
  email: string;
  dentistId: number;
  ticketId: string;
}

const CHANGE_DENTIST = /^\/api\/smilewhite_app\/customer\/change-dentist\/([^/]+)\/$/;

/** Jarvis: every accepted change-dentist call opens a ticket (recorded). */
export class FaultyJarvis extends FaultyStub {
  readonly tickets: StubTicket[] = [];

  constructor(apiKey: string, plan: FaultPlan = NO_FAULTS) {
    super(`Api-Key ${apiKey}`, plan);
  }

  protected async handle(req: IncomingMessage, raw: string, res: ServerResponse): Promise<void> {
    const match = CHANGE_DENTIST.exec(req.url ?? '/');
    if (req.method !== 'POST' || !match) return send(res, 404, { detail: 'Not found.' });
    const email = decodeURIComponent(match[1]!);
    const dentistId = (JSON.parse(raw) as { assigned_dentist: number }).assigned_dentist;
    if (await this.faults.apply(this.faults.decide(`${email}:${dentistId}`), res)) return;
    const ticketId = `ticket-${this.tickets.length + 1}`;
    this.tickets.push({ email, dentistId, ticketId });
    send(res, 200, { ticket: { id: ticketId } });
  }
}

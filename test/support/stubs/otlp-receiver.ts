import { createServer, type Server } from 'node:http';
import { closeServer, listenOnLoopback, readBody } from './loopback.js';

/** One span as OTLP/HTTP JSON carries it, with the service that sent it. */
export interface ReceivedSpan {
  service: string;
  scope: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpTraces {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{
      scope?: { name?: string };
      spans?: Array<{
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes?: OtlpAttribute[];
      }>;
    }>;
  }>;
}

function attributes(list: OtlpAttribute[] = []): Record<string, string | number | boolean> {
  return Object.fromEntries(
    list.map(({ key, value }) => [
      key,
      value.stringValue ??
        (value.intValue !== undefined ? Number(value.intValue) : undefined) ??
        value.boolValue ??
        value.doubleValue ??
        '',
    ]),
  );
}

/**
 * An OpenTelemetry collector stand-in on loopback: takes OTLP/HTTP JSON exports
 * (`OTEL_EXPORTER_OTLP_PROTOCOL=http/json`) at `/v1/traces` and keeps every span; any
 * other path (metrics, logs) is recorded in `otherPaths`.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly otherPaths: string[] = [];
  exports = 0;
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void readBody(req).then((raw) => {
        if (req.method === 'POST' && req.url === '/v1/traces') {
          this.exports += 1;
          this.keep(JSON.parse(raw) as OtlpTraces);
        } else this.otherPaths.push(req.url ?? '');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    this.url = await listenOnLoopback(this.server);
    return this;
  }

  private keep(body: OtlpTraces): void {
    for (const resourceSpans of body.resourceSpans ?? []) {
      const service = String(attributes(resourceSpans.resource?.attributes)['service.name'] ?? '');
      for (const scopeSpans of resourceSpans.scopeSpans ?? [])
        for (const span of scopeSpans.spans ?? [])
          this.spans.push({
            service,
            scope: scopeSpans.scope?.name ?? '',
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId || undefined,
            name: span.name,
            kind: span.kind,
            attributes: attributes(span.attributes),
          });
    }
  }

  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((span) => span.traceId === traceId);
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }
}

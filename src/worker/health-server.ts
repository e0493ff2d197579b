import { createServer, type Server } from 'node:http';
import type { Metrics } from '../shared/metrics.js';
import type { Readiness } from '../shared/readiness.js';

/** `/health`, `/ready` and `/metrics` on WORKER_PORT (docs/operations.md#health-and-readiness), for probes and scraping. */
export function createHealthServer(
  readiness: Readiness,
  metrics: Metrics,
  isStopping: () => boolean,
): Server {
  return createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return send(405, { status: 405, code: 'method_not_allowed' });
    if (path === '/health') return send(200, { status: 'ok' });
    if (path === '/ready') {
      void readiness.check().then((report) => {
        const ready = report.ready && !isStopping();
        send(ready ? 200 : 503, {
          status: ready ? 'ready' : 'not_ready',
          checks: report.checks,
          stopping: isStopping(),
        });
      });
      return;
    }
    if (path === '/metrics') {
      void metrics.render().then(({ contentType, body }) => {
        res.writeHead(200, { 'content-type': contentType });
        res.end(body);
      });
      return;
    }
    send(404, { status: 404, code: 'not_found' });
  });
}

/**
 * The framework ceiling: a bare Koa app answering every request with one constant JSON
 * body (`{"status":"ok",…}` padded to BASELINE_BODY_BYTES, by default the size of a
 * treatment response), no middleware, no I/O. Listens on PORT (0: any free port) on
 * loopback and prints `{"port":N}` on stdout once listening.
 */
import { createServer } from 'node:http';
import Koa from 'koa';

/** `{"status":"ok","padding":"xx…"}`, `bytes` long once serialised (at least the bare status). */
function constantBody(bytes: number): { status: 'ok'; padding: string } {
  const empty = JSON.stringify({ status: 'ok', padding: '' });
  return { status: 'ok', padding: 'x'.repeat(Math.max(0, bytes - empty.length)) };
}

const body = constantBody(Number(process.env.BASELINE_BODY_BYTES ?? 300));
const app = new Koa();
// An object, as the API's handlers set: Koa serialises it on every response, as there.
app.use((ctx) => {
  ctx.body = body;
});

const server = createServer(app.callback());
server.keepAliveTimeout = 65_000; // as the API
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';
import type { TestCertificates } from './tls.js';

/**
 * Every redis-server a test started and has not stopped. A test that fails before its
 * teardown, or jest's forceExit, must not leave servers behind for the next files.
 */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface TestRedisServer {
  /** The port clients use: the TLS port when started with `tls`. */
  port: number;
  /** `redis://` or `rediss://` (with `tls`) on 127.0.0.1. */
  url: string;
  dir: string;
  child: ChildProcess;
  /** Everything the server logged. */
  output(): string;
  /** A plain ioredis client of this server alone (TLS verified against the test CA). */
  client(): Redis;
  /** SIGKILL, as a crash or a lost host: no shutdown, no final save. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export interface TestRedisServerOptions {
  /** More redis-server arguments, e.g. ['--maxmemory-policy', 'allkeys-lru']. */
  args?: string[];
  /** Serve TLS only (`--port 0 --tls-port P`) with these certificates. */
  tls?: TestCertificates;
  /** Where its files go (a cluster's node config); a temporary directory of its own otherwise. */
  dir?: string;
  /** This port (one a client already waits on); a free one otherwise. */
  port?: number;
}

async function waitForLine(server: () => string, text: string, child: ChildProcess, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!server().includes(text)) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline)
      throw new Error(`redis-server did not log "${text}":\n${server()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The arguments that make redis-server serve TLS only, with the test certificates. */
export function tlsArgs(port: number, tls: TestCertificates): string[] {
  return [
    '--port',
    '0',
    '--tls-port',
    String(port),
    '--tls-cert-file',
    tls.certFile,
    '--tls-key-file',
    tls.keyFile,
    '--tls-ca-cert-file',
    tls.caFile,
    '--tls-auth-clients',
    'no',
  ];
}

/**
 * A real redis-server of the test's own on a free loopback port: nothing saved to
 * disk, its files in a temporary directory removed by `stop()`.
 */
export async function startTestRedisServer(options: TestRedisServerOptions = {}): Promise<TestRedisServer> {
  const port = options.port ?? (await freePort());
  const ownDir = options.dir ? undefined : await mkdtemp(path.join(os.tmpdir(), 'aligner-redis-'));
  const dir = options.dir ?? ownDir!;
  const args = [
    '--bind',
    '127.0.0.1',
    ...(options.tls ? tlsArgs(port, options.tls) : ['--port', String(port)]),
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    ...(options.args ?? []),
  ];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => running.delete(child));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  try {
    await waitForLine(() => output, 'Ready to accept connections', child, 10_000);
  } catch (error) {
    await kill();
    if (ownDir) await rm(ownDir, { recursive: true, force: true });
    throw error;
  }
  const ca = options.tls ? await readFile(options.tls.caFile, 'utf8') : undefined;
  return {
    port,
    url: `${options.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    dir,
    child,
    output: () => output,
    client: () =>
      new Redis({
        host: '127.0.0.1',
        port,
        maxRetriesPerRequest: 1,
        retryStrategy: () => null,
        ...(ca ? { tls: { ca } } : {}),
      }),
    kill,
    stop: async () => {
      await kill();
      if (ownDir) await rm(ownDir, { recursive: true, force: true });
    },
  };
}

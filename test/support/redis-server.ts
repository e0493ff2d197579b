import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';

/** Every server still running, killed when the test process exits whatever happened. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * A redis-server of a test's own on a loopback port, without persistence (as the
 * shared one runs, and as a Redis restarted without AOF comes back: empty). The test
 * can flush it or restart it empty on the same port, which the shared server used by
 * every other test file must never be.
 */
export class RedisServer {
  private child: ChildProcess | undefined;
  private directory = '';
  port = 0;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(extraArgs: string[] = []): Promise<this> {
    if (!this.directory) this.directory = await mkdtemp(path.join(os.tmpdir(), 'aligner-redis-'));
    if (!this.port) this.port = await freePort();
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.directory,
        ...extraArgs,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    running.add(child);
    child.on('exit', () => running.delete(child));
    this.child = child;
    await this.waitUntilAnswering();
    return this;
  }

  /** Stops it at once without saving: its data is gone, as after a crash or a node replacement. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** A new, empty server on the same port. */
  async restartEmpty(): Promise<void> {
    await this.kill();
    await this.start();
  }

  async flushAll(): Promise<void> {
    await this.command((redis) => redis.flushall());
  }

  async command<T>(run: (redis: Redis) => Promise<T>): Promise<T> {
    const redis = new Redis(this.url, { maxRetriesPerRequest: 1, lazyConnect: true });
    try {
      await redis.connect();
      return await run(redis);
    } finally {
      redis.disconnect();
    }
  }

  async stop(): Promise<void> {
    await this.kill();
    if (this.directory) await rm(this.directory, { recursive: true, force: true });
  }

  private async waitUntilAnswering(): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        if ((await this.command((redis) => redis.ping())) === 'PONG') return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not start`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createTestDatabase } from '../support/database.js';
import { freePort } from '../support/free-port.js';
import { deleteKeys, REDIS_URL, uniqueQueuePrefix } from '../support/redis.js';

const ROOT = path.resolve(import.meta.dirname ?? '.', '../..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** End-to-end tests run the compiled processes, as production does; build when stale. */
export function ensureBuilt(): void {
  const marker = path.join(ROOT, 'dist/api/main.js');
  if (existsSync(marker) && statSync(marker).mtimeMs >= newestMtime(path.join(ROOT, 'src'))) return;
  execFileSync(
    process.execPath,
    [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
}

export interface RunningProcess {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLog: (text: string, timeoutMs?: number) => Promise<void>;
}

export function startProcess(
  entry: 'api/main.js' | 'worker/main.js',
  env: Record<string, string>,
): RunningProcess {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', entry)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => output,
    exited,
    waitForLog: async (text, timeoutMs = 20000) => {
      const deadline = Date.now() + timeoutMs;
      while (!output.includes(text)) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`"${text}" not logged:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

export interface Stack {
  /** The API's base URL. */
  base: string;
  api: RunningProcess;
  worker: RunningProcess;
  stop(): Promise<void>;
}

/**
 * The API and the worker as separate processes, as in production, on a database,
 * queue prefix and free ports of their own, with `env` on top of the test defaults
 * (stub URLs, keys).
 */
export async function startStack(env: Record<string, string>): Promise<Stack> {
  ensureBuilt();
  const [port, workerPort] = [await freePort(), await freePort()];
  const database = await createTestDatabase();
  const prefix = uniqueQueuePrefix();
  const fullEnv = {
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    PORT: String(port),
    WORKER_PORT: String(workerPort),
    LOG_LEVEL: 'info',
    ...env,
  };
  const api = startProcess('api/main.js', fullEnv);
  await api.waitForLog('API listening');
  const worker = startProcess('worker/main.js', fullEnv);
  await worker.waitForLog('worker health port listening');
  return {
    base: `http://127.0.0.1:${port}`,
    api,
    worker,
    async stop() {
      api.child.kill('SIGTERM');
      worker.child.kill('SIGTERM');
      await Promise.all([api.exited, worker.exited]);
      await deleteKeys(prefix);
      await database.drop();
    },
  };
}

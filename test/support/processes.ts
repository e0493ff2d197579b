import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createEmptyDatabase, createTestDatabase } from './database.js';
import { freePort } from './free-port.js';
import { deleteKeys, REDIS_URL, uniqueQueuePrefix } from './redis.js';
import { HEAP_LIMIT_FLAG } from '../../src/shared/process/heap.js';

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

/**
 * Every child still running. A test that fails before its teardown, or jest's
 * forceExit, would otherwise leave an API or worker behind, still working on a
 * dropped database and eating the CPU of every later test.
 */
const running = new Set<ChildProcessWithoutNullStreams>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

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
  return startNodeScript(path.join('dist', entry), env);
}

/**
 * A Node script of the repository (`path` from its root) as a child process, with the
 * production heap limit and only `env` (and PATH) in its environment; its stdin is open.
 */
export function startNodeScript(script: string, env: Record<string, string>): RunningProcess {
  const child = spawn(process.execPath, [HEAP_LIMIT_FLAG, path.join(ROOT, script)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  running.add(child);
  child.on('exit', () => running.delete(child));
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
        if (Date.now() > deadline || child.exitCode !== null || child.signalCode !== null)
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
  /** Every API and worker process of the stack, the first ones included (`startApi`, `startWorker` add to them). */
  apis: RunningProcess[];
  workers: RunningProcess[];
  /** Base URL of each API process, in the order of `apis`. */
  bases: string[];
  /** The environment every process of the stack was started with (ports aside). */
  env: Record<string, string>;
  databaseUrl: string;
  queuePrefix: string;
  /** Another API process on the same database and queue prefix, on a free port. */
  startApi(env?: Record<string, string>): Promise<{ process: RunningProcess; base: string }>;
  /** Another worker process on the same database and queue prefix, health on a free port. */
  startWorker(env?: Record<string, string>): Promise<RunningProcess>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** API processes started at once (default 1); all apply migrations as they start. */
  apis?: number;
  /** Worker processes started at once (default 1). */
  workers?: number;
  /** Start from an empty database (no migrations applied) instead of a migrated clone. */
  emptyDatabase?: boolean;
  /**
   * The processes reach Postgres and/or Redis on this port of the same host instead (a
   * TcpProxy in front of the real server, for outages). The database is still created
   * on the real server, and `databaseUrl` stays its direct URL.
   */
  connectVia?: { postgresPort?: number; redisPort?: number };
}

function withPort(url: string, port: number | undefined): string {
  if (port === undefined) return url;
  const parsed = new URL(url);
  parsed.port = String(port);
  return parsed.toString();
}

/**
 * The API and the worker as separate processes, as in production, on a database,
 * queue prefix and free ports of their own, with `env` on top of the test defaults
 * (stub URLs, keys). With `options`, several API and worker processes, all started at
 * the same moment (as a deployment scaling out does).
 */
export async function startStack(env: Record<string, string>, options?: StackOptions): Promise<Stack> {
  ensureBuilt();
  const database = options?.emptyDatabase ? await createEmptyDatabase() : await createTestDatabase();
  const prefix = uniqueQueuePrefix();
  const fullEnv: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: withPort(database.url, options?.connectVia?.postgresPort),
    REDIS_URL: withPort(REDIS_URL, options?.connectVia?.redisPort),
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'info',
    ...env,
  };
  const apis: RunningProcess[] = [];
  const workers: RunningProcess[] = [];
  const bases: string[] = [];
  const launchApi = async (extra: Record<string, string> = {}) => {
    const port = await freePort();
    const api = startProcess('api/main.js', { ...fullEnv, PORT: String(port), ...extra });
    apis.push(api);
    bases.push(`http://127.0.0.1:${port}`);
    return { process: api, base: `http://127.0.0.1:${port}` };
  };
  const launchWorker = async (extra: Record<string, string> = {}) => {
    const port = await freePort();
    const worker = startProcess('worker/main.js', { ...fullEnv, WORKER_PORT: String(port), ...extra });
    workers.push(worker);
    return worker;
  };

  try {
    if (options) {
      await Promise.all([
        ...Array.from({ length: options.apis ?? 1 }, () => launchApi()),
        ...Array.from({ length: options.workers ?? 1 }, () => launchWorker()),
      ]);
      await Promise.all([
        ...apis.map((api) => api.waitForLog('API listening', 60000)),
        ...workers.map((worker) => worker.waitForLog('worker health port listening', 60000)),
      ]);
    } else {
      await (await launchApi()).process.waitForLog('API listening');
      await (await launchWorker()).waitForLog('worker health port listening');
    }
  } catch (error) {
    // A process that did not come up: leave nothing running behind the failed test file.
    for (const running of [...apis, ...workers]) running.child.kill('SIGKILL');
    await deleteKeys(prefix);
    await database.drop();
    throw error;
  }
  return {
    base: bases[0]!,
    api: apis[0]!,
    worker: workers[0]!,
    apis,
    workers,
    bases,
    env: fullEnv,
    databaseUrl: database.url,
    queuePrefix: prefix,
    async startApi(extra) {
      const started = await launchApi(extra);
      await started.process.waitForLog('API listening');
      return started;
    },
    async startWorker(extra) {
      const worker = await launchWorker(extra);
      await worker.waitForLog('worker health port listening');
      return worker;
    },
    async stop() {
      const all = [...apis, ...workers];
      for (const running of all)
        if (running.child.exitCode === null && running.child.signalCode === null)
          running.child.kill('SIGTERM');
      await Promise.all(all.map((running) => running.exited));
      await deleteKeys(prefix);
      await database.drop();
    },
  };
}

/**
 * The processes the load is aimed at, each started as its own process on loopback. A
 * benchmark names one; the runner starts each server that a selected benchmark needs,
 * once, and stops it at the end. (Issue 10 adds more: the worker, a no-op worker, a
 * OneSignal stub.)
 */
import { fileURLToPath } from 'node:url';
import { freePort, ManagedProcess, tsxCommand, waitUntilReady } from './lib/processes.js';

export interface ServerOptions {
  root: string;
  logsDir: string;
  databaseUrl: string;
  redisUrl: string;
  /** Size of the baseline's constant JSON body. */
  baselineBodyBytes: number;
  /** When set, the API runs with --cpu-prof and writes its profile here on exit. */
  cpuProfileDir?: string | undefined;
}

export interface RunningServer {
  name: ServerName;
  url: string;
  process: ManagedProcess;
}

/** Enough of the environment to run Node, and nothing of the developer's own settings. */
export function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR']) if (process.env[key]) env[key] = process.env[key];
  return env;
}

/** The API key the bench's API accepts on /internal (loopback only, never a real one). */
export const BENCH_INTERNAL_API_KEY = 'bench-internal-key';
/** The HubSpot app secret the bench API verifies webhook signatures with. */
export const BENCH_HUBSPOT_SECRET = 'bench-hubspot-secret';

async function startBaseline(options: ServerOptions): Promise<RunningServer> {
  const { command, args } = tsxCommand(fileURLToPath(new URL('./baseline-koa.ts', import.meta.url)));
  let announce: (port: number) => void = () => undefined;
  const announced = new Promise<number>((resolve) => (announce = resolve));
  const child = new ManagedProcess(
    'baseline-koa',
    command,
    args,
    {
      ...baseEnv(),
      NODE_ENV: 'production',
      PORT: '0',
      BASELINE_BODY_BYTES: String(options.baselineBodyBytes),
    },
    `${options.logsDir}/baseline-koa.log`,
    (line) => {
      const port = (JSON.parse(line) as { port?: number }).port;
      if (port) announce(port);
    },
  );
  const port = await Promise.race([
    announced,
    child.exited.then(() => Promise.reject(new Error(`baseline-koa exited:\n${child.logTail()}`))),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('baseline-koa: no port')), 30_000)),
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(`${url}/`, child, 10_000);
  return { name: 'baseline', url, process: child };
}

/**
 * The real API as built by `npm run build`, in production mode, on its own database
 * (which it migrates on start-up) and its own queue prefix.
 */
async function startApi(options: ServerOptions): Promise<RunningServer> {
  const port = await freePort();
  const child = new ManagedProcess(
    'api',
    process.execPath,
    [
      ...(options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : []),
      `${options.root}/dist/api/main.js`,
    ],
    {
      ...baseEnv(),
      NODE_ENV: 'production',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: options.redisUrl,
      QUEUE_PREFIX: 'bench',
      INTERNAL_API_KEYS: BENCH_INTERNAL_API_KEY,
      HUBSPOT_CLIENT_SECRET: BENCH_HUBSPOT_SECRET,
    },
    `${options.logsDir}/api.log`,
  );
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(`${url}/ready`, child, 60_000);
  return { name: 'api', url, process: child };
}

export const servers = {
  baseline: startBaseline,
  api: startApi,
} satisfies Record<string, (options: ServerOptions) => Promise<RunningServer>>;

export type ServerName = keyof typeof servers;

/**
 * The processes the load is aimed at, each started as its own process on loopback: the
 * bare-Koa baseline, and the real API and worker as built by `npm run build`, in
 * production mode, each on the database and queue prefix it is given. An HTTP benchmark
 * names its server (`servers`); the queue benchmarks start the worker themselves.
 */
import { fileURLToPath } from 'node:url';
import { freePort, ManagedProcess, tsxCommand, waitUntilReady } from './lib/processes.js';
import { HEAP_LIMIT_FLAG } from '../src/shared/process/heap.js';

export interface RunningServer {
  name: string;
  /** The HTTP address: the API's, the baseline's, or the worker's health port. */
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

export interface ServiceOptions {
  root: string;
  logFile: string;
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  /** More settings (e.g. the OneSignal stub's address for the worker). */
  env?: Record<string, string>;
  /** When set, the process runs with --cpu-prof and writes its profile here on exit. */
  cpuProfileDir?: string | undefined;
}

/**
 * The environment of an API or worker under the bench: production settings as deployed
 * (`NODE_ENV=production`, `LOG_LEVEL=info`: one JSON line per request on stdout, read
 * through a pipe as a container runtime reads it), its database and queue prefix,
 * loopback-only secrets, nothing from the shell.
 */
function serviceEnv(options: ServiceOptions, ports: { PORT?: number; WORKER_PORT: number }) {
  return {
    ...baseEnv(),
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    QUEUE_PREFIX: options.queuePrefix,
    INTERNAL_API_KEYS: BENCH_INTERNAL_API_KEY,
    HUBSPOT_CLIENT_SECRET: BENCH_HUBSPOT_SECRET,
    ...(ports.PORT === undefined ? {} : { PORT: String(ports.PORT) }),
    WORKER_PORT: String(ports.WORKER_PORT),
    ...options.env,
  };
}

function nodeProcess(name: string, script: string, options: ServiceOptions, env: NodeJS.ProcessEnv) {
  return new ManagedProcess(
    name,
    process.execPath,
    [
      HEAP_LIMIT_FLAG, // as in production
      ...(options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : []),
      `${options.root}/${script}`,
    ],
    env,
    options.logFile,
  );
}

/** The API (dist/api/main.js), which migrates its database on start-up. Ready when /ready answers 200. */
export async function startApi(options: ServiceOptions): Promise<RunningServer> {
  const port = await freePort();
  const env = serviceEnv(options, { PORT: port, WORKER_PORT: await freePort() });
  const child = nodeProcess('api', 'dist/api/main.js', options, env);
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(`${url}/ready`, child, 60_000);
  return { name: 'api', url, process: child };
}

/**
 * The worker (dist/worker/main.js): every queue's processors, at their production
 * concurrency. It waits for the API's migrations; ready when its health port's /ready answers 200.
 */
export async function startWorker(options: ServiceOptions): Promise<RunningServer> {
  const port = await freePort();
  const child = nodeProcess(
    'worker',
    'dist/worker/main.js',
    options,
    serviceEnv(options, { WORKER_PORT: port }),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(`${url}/ready`, child, 60_000);
  return { name: 'worker', url, process: child };
}

/** The framework ceiling (baseline-koa.ts): it picks its own port and prints it. */
export async function startBaseline(options: { logFile: string; bodyBytes: number }): Promise<RunningServer> {
  const { command, args } = tsxCommand(fileURLToPath(new URL('./baseline-koa.ts', import.meta.url)));
  let announce: (port: number) => void = () => undefined;
  const announced = new Promise<number>((resolve) => (announce = resolve));
  const child = new ManagedProcess(
    'baseline-koa',
    command,
    args,
    { ...baseEnv(), NODE_ENV: 'production', PORT: '0', BASELINE_BODY_BYTES: String(options.bodyBytes) },
    options.logFile,
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
  return { name: 'baseline-koa', url, process: child };
}

/** What the HTTP benchmarks' servers are started with. */
export interface HttpServerOptions {
  root: string;
  logsDir: string;
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  /** Size of the baseline's constant JSON body. */
  baselineBodyBytes: number;
  cpuProfileDir?: string | undefined;
  /** The OTLP/HTTP endpoint a traced API exports to (lib/otlp-sink.ts). */
  otlpEndpoint: string;
}

/**
 * The API with tracing on, configured only by the standard variables as a deployment
 * would (docs/operations.md#tracing), exporting OTLP/HTTP (protobuf, the SDK's default)
 * in batches to the bench's sink, with `sampler`.
 */
function tracedApi(name: string, sampler: Record<string, string>) {
  return (options: HttpServerOptions) =>
    startApi({
      ...options,
      logFile: `${options.logsDir}/${name}.log`,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: options.otlpEndpoint, ...sampler },
    }).then((server) => ({ ...server, name }));
}

/** The servers an HTTP benchmark (benchmarks.ts) can name. */
export const servers = {
  baseline: (options: HttpServerOptions) =>
    startBaseline({ logFile: `${options.logsDir}/baseline-koa.log`, bodyBytes: options.baselineBodyBytes }),
  api: (options: HttpServerOptions) => startApi({ ...options, logFile: `${options.logsDir}/api.log` }),
  // Every request traced, 1 in 10 sampled (the root decides, as a request has no parent).
  'api-traced-10pct': tracedApi('api-traced-10pct', {
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.1',
  }),
  // Instrumented, nothing sampled: the cost of the hooks alone.
  'api-traced-unsampled': tracedApi('api-traced-unsampled', { OTEL_TRACES_SAMPLER: 'always_off' }),
  'api-traced-all': tracedApi('api-traced-all', { OTEL_TRACES_SAMPLER: 'always_on' }),
} satisfies Record<string, (options: HttpServerOptions) => Promise<RunningServer>>;

export type ServerName = keyof typeof servers;

/** The servers that are the API (on the seeded database), traced or not. */
export const isApi = (name: ServerName): boolean => name === 'api' || name.startsWith('api-traced');

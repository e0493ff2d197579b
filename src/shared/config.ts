import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * The whole configuration of both processes, validated once at start-up (docs/operations.md#configuration).
 * Names are the seed's exactly; development defaults let `npm start` run against a
 * local Postgres and Redis with nothing else configured.
 */

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'TRUE', 'FALSE', 'True', 'False'], {
      error: 'must be true or false',
    })
    .optional()
    .transform((value) => (value === undefined ? fallback : ['true', '1'].includes(value.toLowerCase())));

const int = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return fallback;
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
        ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max}` });
        return z.NEVER;
      }
      return parsed;
    });

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const optionalUrl = optionalString.pipe(z.url({ error: 'must be an absolute URL' }).optional());

const REDIS_SCHEME = /^rediss?:\/\//;

/**
 * A cluster's seed nodes: any few of its nodes (or ElastiCache's configuration endpoint),
 * from which the client learns the rest. One scheme and one set of credentials for all:
 * a cluster is one service, and a mix means a typo.
 */
function clusterNodes(urls: string[], ctx: z.RefinementCtx): string[] {
  const problem = (message: string) => {
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  };
  const parsed: URL[] = [];
  for (const url of urls) {
    const node = URL.canParse(url) && REDIS_SCHEME.test(url) ? new URL(url) : undefined;
    if (!node?.hostname) return problem('must be comma-separated redis:// or rediss:// URLs (host:port)');
    if (!['', '/', '/0'].includes(node.pathname))
      return problem('must not name a database (a cluster has only 0)');
    parsed.push(node);
  }
  const [first] = parsed;
  if (first && parsed.some((node) => node.protocol !== first.protocol))
    return problem('must all be redis:// or all rediss://');
  if (first && parsed.some((node) => node.username !== first.username || node.password !== first.password))
    return problem('must all carry the same user and password');
  return urls;
}

/** The CA certificate(s) that sign Redis's certificate, read once at start-up. */
function caFile(path: string | undefined, ctx: z.RefinementCtx): string | undefined {
  if (path === undefined) return undefined;
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    ctx.addIssue({
      code: 'custom',
      message: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    });
    return z.NEVER;
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    ctx.addIssue({ code: 'custom', message: 'is not a PEM certificate file' });
    return z.NEVER;
  }
  return pem;
}

/**
 * A Redis Cluster keeps the keys of one multi-key command on one node, so every BullMQ
 * key must hash to one slot: the prefix becomes a hash tag (`aligner` -> `{aligner}`)
 * unless it already holds one. Every queue then lives in that one slot.
 */
export function clusterPrefix(prefix: string): string {
  return /\{[^}]+\}/.test(prefix) ? prefix : `{${prefix}}`;
}

const list = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );

// Python's level names are accepted too: the seed's service logged with them (LOG_LEVEL=INFO).
const LOG_LEVELS = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  fatal: 'fatal',
  critical: 'fatal',
  silent: 'silent',
} as const;

/** The fields a HubSpot property can be mapped to (src/hubspot/appliers.ts applies each). */
export const HUBSPOT_TARGET_FIELDS = [
  'email',
  'first_name',
  'last_name',
  'dentist_id',
  'total_aligners',
  'change_interval_days',
  'started_on',
] as const;
export type HubSpotTargetField = (typeof HUBSPOT_TARGET_FIELDS)[number];

export const DEFAULT_HUBSPOT_PROPERTY_MAP = {
  email: 'email',
  firstname: 'first_name',
  lastname: 'last_name',
  assigned_dentist: 'dentist_id',
  aligner_total: 'total_aligners',
  aligner_change_interval: 'change_interval_days',
  treatment_start_date: 'started_on',
} as const satisfies Record<string, HubSpotTargetField>;

/**
 * In development only, well-known keys so a new developer can call /internal and send
 * signed webhooks without configuring anything (README). Tests and production set theirs.
 */
export const DEVELOPMENT_INTERNAL_API_KEY = 'dev-internal-key';
export const DEVELOPMENT_HUBSPOT_SECRET = 'dev-hubspot-secret';

function developmentSecrets(nodeEnv: string, internalKeys: string[], hubspotSecrets: string[]) {
  const development = nodeEnv === 'development';
  return {
    INTERNAL_API_KEYS:
      internalKeys.length === 0 && development ? [DEVELOPMENT_INTERNAL_API_KEY] : internalKeys,
    HUBSPOT_CLIENT_SECRET:
      hubspotSecrets.length === 0 && development ? [DEVELOPMENT_HUBSPOT_SECRET] : hubspotSecrets,
  };
}

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: int(3000, 0, 65535),
    WORKER_PORT: int(3001, 0, 65535),
    DATABASE_URL: optionalString.pipe(
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, { error: 'must be a postgres:// URL' })
        .optional(),
    ),
    REDIS_URL: optionalString.pipe(
      z.string().regex(REDIS_SCHEME, { error: 'must be a redis:// or rediss:// URL' }).optional(),
    ),
    // Set instead of REDIS_URL for a Redis Cluster (ElastiCache cluster mode enabled).
    REDIS_CLUSTER_NODES: list.transform(clusterNodes),
    // PEM file of the CA that signs Redis's certificate (rediss://); the system's CAs otherwise.
    REDIS_TLS_CA_FILE: optionalString.transform(caFile),
    // Prefix of every BullMQ key; lets tests and several environments share one Redis.
    // It may hold a cluster hash tag of its own (`{name}`), see clusterPrefix.
    QUEUE_PREFIX: optionalString.pipe(
      z
        .string()
        .regex(/^[A-Za-z0-9_-]*(\{[A-Za-z0-9_-]+\})?[A-Za-z0-9_-]*$/, {
          error: 'must be letters, digits, _ or -, with at most one {hash tag}',
        })
        .max(64, { error: 'must be at most 64 characters' })
        .optional(),
    ),
    LOG_LEVEL: optionalString.transform((value, ctx) => {
      if (value === undefined) return 'info' as const;
      const level = LOG_LEVELS[value.toLowerCase() as keyof typeof LOG_LEVELS];
      if (!level) {
        ctx.addIssue({ code: 'custom', message: `must be one of ${Object.keys(LOG_LEVELS).join(', ')}` });
        return z.NEVER;
      }
      return level;
    }),
    LOG_FORMAT: z.enum(['json', 'pretty'], { error: 'must be json or pretty' }).default('json'),
    LOG_REDACT_SENSITIVE: bool(true),
    AWS_REGION: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: 'must be an AWS region such as eu-west-2' })
      .default('eu-west-2'),
    COGNITO_USER_POOL_ID: optionalString,
    COGNITO_CLIENT_ID: optionalString,
    COGNITO_VERIFY_JWT: bool(false),
    USER_IMAGES_BUCKET: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
        error: 'must be a valid S3 bucket name (3-63 characters)',
      })
      .default('aligner-user-images'),
    S3_ENDPOINT: optionalUrl,
    S3_FORCE_PATH_STYLE: bool(false),
    JARVIS_API_URL: optionalUrl,
    JARVIS_API_KEY: optionalString,
    ONESIGNAL_APP_ID: optionalString,
    ONESIGNAL_REST_API_KEY: optionalString,
    ONESIGNAL_API_URL: z.url({ error: 'must be an absolute URL' }).default('https://api.onesignal.com'),
    HUBSPOT_CLIENT_SECRET: list,
    HUBSPOT_WEBHOOK_URL: optionalUrl,
    HUBSPOT_PROPERTY_MAP: optionalString.transform((value, ctx) => {
      if (value === undefined)
        return { ...DEFAULT_HUBSPOT_PROPERTY_MAP } as Record<string, HubSpotTargetField>;
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        parsed = undefined;
      }
      const map = z.record(z.string().min(1), z.enum(HUBSPOT_TARGET_FIELDS)).safeParse(parsed);
      if (!map.success) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a JSON object mapping HubSpot property names to one of ${HUBSPOT_TARGET_FIELDS.join(', ')}`,
        });
        return z.NEVER;
      }
      return map.data;
    }),
    INTERNAL_API_KEYS: list,
    ADMIN_USERNAME: optionalString,
    ADMIN_PASSWORD: optionalString,
    IMAGE_MAX_BYTES: int(15 * 1024 * 1024, 1, 5 * 1024 * 1024 * 1024),
    IMAGE_PENDING_MAX: int(20, 1, 1000),
    // Photo processing (docs/resources.md#photos): a decoded image larger than this many pixels
    // is refused before its pixels are decoded (a decompression bomb), and one taking
    // longer than this is abandoned.
    IMAGE_MAX_PIXELS: int(50_000_000, 1, 268_402_689),
    IMAGE_PROCESSING_TIMEOUT_SECONDS: int(30, 1, 600),
    // Days in a row the app may be silent and its wear still be trusted (docs/resources.md#wear-stats).
    WEAR_SILENT_DAYS_ALLOWED: int(2, 0, 30),
    // BullMQ worker lock: an active job whose worker died is retried once its lock has
    // expired (lock duration) and a stall check has seen it (stalled interval). Tests shorten both.
    WORKER_LOCK_DURATION_MS: int(30_000, 1000, 600_000),
    WORKER_STALLED_INTERVAL_MS: int(30_000, 1000, 600_000),
  })
  .superRefine((env, ctx) => {
    const production = env.NODE_ENV === 'production';
    if (production && !env.DATABASE_URL)
      ctx.addIssue({ code: 'custom', path: ['DATABASE_URL'], message: 'is required in production' });
    const cluster = env.REDIS_CLUSTER_NODES.length > 0;
    if (production && !env.REDIS_URL && !cluster)
      ctx.addIssue({
        code: 'custom',
        path: ['REDIS_URL'],
        message: '(or REDIS_CLUSTER_NODES) is required in production',
      });
    if (cluster && env.REDIS_URL)
      ctx.addIssue({
        code: 'custom',
        path: ['REDIS_URL'],
        message: 'must not be set with REDIS_CLUSTER_NODES (one Redis or a cluster, not both)',
      });
    const tls = (cluster ? env.REDIS_CLUSTER_NODES[0]! : (env.REDIS_URL ?? '')).startsWith('rediss://');
    if (env.REDIS_TLS_CA_FILE !== undefined && !tls)
      ctx.addIssue({
        code: 'custom',
        path: ['REDIS_TLS_CA_FILE'],
        message: `is set but ${cluster ? 'REDIS_CLUSTER_NODES' : 'REDIS_URL'} is not rediss:// (no TLS)`,
      });
    if (production && env.INTERNAL_API_KEYS.length === 0)
      ctx.addIssue({ code: 'custom', path: ['INTERNAL_API_KEYS'], message: 'is required in production' });
    if (env.COGNITO_VERIFY_JWT && !env.COGNITO_USER_POOL_ID)
      ctx.addIssue({
        code: 'custom',
        path: ['COGNITO_USER_POOL_ID'],
        message: 'is required when COGNITO_VERIFY_JWT=true',
      });
    if (env.COGNITO_VERIFY_JWT && !env.COGNITO_CLIENT_ID)
      ctx.addIssue({
        code: 'custom',
        path: ['COGNITO_CLIENT_ID'],
        message: 'is required when COGNITO_VERIFY_JWT=true',
      });
    if (Boolean(env.ADMIN_USERNAME) !== Boolean(env.ADMIN_PASSWORD))
      ctx.addIssue({
        code: 'custom',
        path: ['ADMIN_PASSWORD'],
        message: 'ADMIN_USERNAME and ADMIN_PASSWORD are set together',
      });
  })
  .transform(({ REDIS_TLS_CA_FILE, ...env }) => {
    const prefix = env.QUEUE_PREFIX ?? 'aligner';
    return {
      ...env,
      ...developmentSecrets(env.NODE_ENV, env.INTERNAL_API_KEYS, env.HUBSPOT_CLIENT_SECRET),
      DATABASE_URL: env.DATABASE_URL ?? `postgres://postgres@127.0.0.1:5432/aligner_tracker_${env.NODE_ENV}`,
      // Unused (and the development default only) when REDIS_CLUSTER_NODES is set.
      REDIS_URL: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      /** The PEM text of REDIS_TLS_CA_FILE. */
      REDIS_TLS_CA: REDIS_TLS_CA_FILE,
      /** The effective BullMQ prefix: hash-tagged in cluster mode. */
      QUEUE_PREFIX: env.REDIS_CLUSTER_NODES.length > 0 ? clusterPrefix(prefix) : prefix,
    };
  });

export type Config = z.output<typeof schema>;

export class ConfigError extends Error {}

/** Parses an environment; the error message is one line naming each offending variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // `VAR=` in a .env or compose file means "not set": the default applies.
  const given = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''),
  );
  const result = schema.safeParse(given);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? 'environment');
    const raw = env[name];
    // Redis node URLs may carry a password.
    const shown = raw === undefined || /KEY|SECRET|PASSWORD|URL|NODES/.test(name) ? '' : ` (got "${raw}")`;
    return `${name} ${issue.message}${shown}`;
  });
  throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
}

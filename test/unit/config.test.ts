import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ConfigError,
  DEFAULT_HUBSPOT_PROPERTY_MAP,
  DEVELOPMENT_HUBSPOT_SECRET,
  DEVELOPMENT_INTERNAL_API_KEY,
  loadConfig,
} from '../../src/shared/config.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The ConfigError thrown for `env`, failing the test when there is none. */
function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://app@db.internal:5432/aligner',
  REDIS_URL: 'rediss://cache.internal:6379',
  INTERNAL_API_KEYS: 'prod-key',
};

describe('loadConfig: development defaults (docs/operations.md#configuration)', () => {
  it('runs on a machine with local Postgres and Redis and nothing configured', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/aligner_tracker_development',
      REDIS_URL: 'redis://127.0.0.1:6379',
      PORT: 3000,
      WORKER_PORT: 3001,
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      LOG_REDACT_SENSITIVE: true,
      AWS_REGION: 'eu-west-2',
      USER_IMAGES_BUCKET: 'aligner-user-images',
      ONESIGNAL_API_URL: 'https://api.onesignal.com',
      COGNITO_VERIFY_JWT: false,
      IMAGE_MAX_BYTES: 15 * 1024 * 1024,
      IMAGE_PENDING_MAX: 20,
      INTERNAL_API_KEYS: [DEVELOPMENT_INTERNAL_API_KEY],
      HUBSPOT_CLIENT_SECRET: [DEVELOPMENT_HUBSPOT_SECRET],
    });
    expect(config.HUBSPOT_PROPERTY_MAP).toEqual(DEFAULT_HUBSPOT_PROPERTY_MAP);
    expect(config.ONESIGNAL_APP_ID).toBeUndefined();
    expect(config.JARVIS_API_URL).toBeUndefined();
    expect(config.HUBSPOT_WEBHOOK_URL).toBeUndefined();
  });

  it('names the default database after the environment', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).DATABASE_URL).toBe(
      'postgres://postgres@127.0.0.1:5432/aligner_tracker_test',
    );
  });

  it('never applies the development keys and secrets in test or production', () => {
    const test = loadConfig({ NODE_ENV: 'test' });
    expect(test.INTERNAL_API_KEYS).toEqual([]);
    expect(test.HUBSPOT_CLIENT_SECRET).toEqual([]);
    const production = loadConfig(PRODUCTION);
    expect(production.INTERNAL_API_KEYS).toEqual(['prod-key']);
    expect(production.HUBSPOT_CLIENT_SECRET).toEqual([]);
  });

  it('uses configured keys instead of the development ones in development too', () => {
    const config = loadConfig({ INTERNAL_API_KEYS: 'mine', HUBSPOT_CLIENT_SECRET: 'my-secret' });
    expect(config.INTERNAL_API_KEYS).toEqual(['mine']);
    expect(config.HUBSPOT_CLIENT_SECRET).toEqual(['my-secret']);
  });

  it('accepts every value of .env.example, which lists every variable of docs/operations.md#configuration', async () => {
    const example = parseEnv(await readFile(path.join(ROOT, '.env.example'), 'utf8'));
    for (const name of [
      'AWS_REGION',
      'COGNITO_USER_POOL_ID',
      'USER_IMAGES_BUCKET',
      'DATABASE_URL',
      'JARVIS_API_URL',
      'JARVIS_API_KEY',
      'ONESIGNAL_APP_ID',
      'ONESIGNAL_REST_API_KEY',
      'HUBSPOT_CLIENT_SECRET',
      'LOG_LEVEL',
      'LOG_FORMAT',
      'LOG_REDACT_SENSITIVE',
      'REDIS_URL',
      'PORT',
      'WORKER_PORT',
      'NODE_ENV',
      'INTERNAL_API_KEYS',
      'COGNITO_VERIFY_JWT',
      'COGNITO_CLIENT_ID',
      'S3_ENDPOINT',
      'S3_FORCE_PATH_STYLE',
      'ONESIGNAL_API_URL',
      'HUBSPOT_WEBHOOK_URL',
      'HUBSPOT_PROPERTY_MAP',
      'ADMIN_USERNAME',
      'ADMIN_PASSWORD',
      'IMAGE_MAX_BYTES',
      'IMAGE_PENDING_MAX',
      'REDIS_CLUSTER_NODES',
      'REDIS_TLS_CA_FILE',
    ]) {
      expect([name, name in example]).toEqual([name, true]);
    }
    expect(loadConfig(example)).toMatchObject({ NODE_ENV: 'development', PORT: 3000, LOG_FORMAT: 'json' });
  });

  // `PORT=` and `LOG_LEVEL=` already mean "use the default"; an env file or a compose
  // file that leaves another defaulted variable empty must not stop the process either.
  it('treats an empty value of a defaulted variable as unset, as it does for PORT and LOG_LEVEL', () => {
    const defaults = {
      PORT: 3000,
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      LOG_REDACT_SENSITIVE: true,
      COGNITO_VERIFY_JWT: false,
      AWS_REGION: 'eu-west-2',
      USER_IMAGES_BUCKET: 'aligner-user-images',
      ONESIGNAL_API_URL: 'https://api.onesignal.com',
    } as const;
    const outcomes = Object.fromEntries(
      Object.keys(defaults).map((name) => {
        try {
          return [name, loadConfig({ [name]: '' })[name as keyof typeof defaults]];
        } catch (error) {
          return [name, (error as Error).message];
        }
      }),
    );
    expect(outcomes).toEqual(defaults);
  });
});

describe('loadConfig: parsing', () => {
  it.each([
    ['INFO', 'info'],
    ['WARNING', 'warn'],
    ['warning', 'warn'],
    ['CRITICAL', 'fatal'],
    ['DEBUG', 'debug'],
    ['error', 'error'],
  ])('accepts LOG_LEVEL=%s (Python names from the seed included) as %s', (value, level) => {
    expect(loadConfig({ LOG_LEVEL: value }).LOG_LEVEL).toBe(level);
  });

  it('trims comma-separated lists and drops empty entries', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      INTERNAL_API_KEYS: ' key-a , key-b ,, ',
      HUBSPOT_CLIENT_SECRET: 'old ,  new,',
    });
    expect(config.INTERNAL_API_KEYS).toEqual(['key-a', 'key-b']);
    expect(config.HUBSPOT_CLIENT_SECRET).toEqual(['old', 'new']);
  });

  it.each([
    ['true', true],
    ['1', true],
    ['TRUE', true],
    ['false', false],
    ['0', false],
  ])('reads LOG_REDACT_SENSITIVE=%s as %s', (value, expected) => {
    expect(loadConfig({ LOG_REDACT_SENSITIVE: value }).LOG_REDACT_SENSITIVE).toBe(expected);
  });

  it('parses ports and a HubSpot property map', () => {
    const config = loadConfig({
      PORT: '8080',
      WORKER_PORT: '0',
      HUBSPOT_PROPERTY_MAP: '{"dentist_code":"dentist_id","mail":"email"}',
    });
    expect(config.PORT).toBe(8080);
    expect(config.WORKER_PORT).toBe(0);
    expect(config.HUBSPOT_PROPERTY_MAP).toEqual({ dentist_code: 'dentist_id', mail: 'email' });
  });
});

describe('loadConfig: a malformed value stops start-up with one line naming the variable', () => {
  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '80.5'],
    ['WORKER_PORT', '-1'],
    ['LOG_FORMAT', 'xml'],
    ['LOG_LEVEL', 'loud'],
    ['LOG_REDACT_SENSITIVE', 'maybe'],
    ['COGNITO_VERIFY_JWT', 'yes please'],
    ['HUBSPOT_PROPERTY_MAP', '[1]'],
    ['HUBSPOT_PROPERTY_MAP', 'not json'],
    ['HUBSPOT_PROPERTY_MAP', '{"email":"shoe_size"}'],
    ['HUBSPOT_PROPERTY_MAP', '"email"'],
    ['ONESIGNAL_API_URL', 'not a url'],
    ['JARVIS_API_URL', 'jarvis.internal/api'],
    ['HUBSPOT_WEBHOOK_URL', '/public/hubspot/webhooks'],
    ['S3_ENDPOINT', 'localhost'],
    ['AWS_REGION', 'bad'],
    ['AWS_REGION', 'EU-WEST-2'],
    ['USER_IMAGES_BUCKET', 'ab'],
    ['USER_IMAGES_BUCKET', 'Upper_Case'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['NODE_ENV', 'staging'],
    ['IMAGE_MAX_BYTES', '0'],
    ['IMAGE_PENDING_MAX', 'many'],
    ['QUEUE_PREFIX', 'has spaces'],
  ])('%s=%j', (name, value) => {
    const error = configError({ [name]: value });
    expect(error.message).not.toMatch(/[\r\n]/);
    expect(error.message).toContain(name);
    expect(error.message).toMatch(/^Invalid configuration: /);
  });

  it('names every offending variable, still on one line', () => {
    const error = configError({ PORT: 'abc', LOG_FORMAT: 'xml', AWS_REGION: 'bad' });
    expect(error.message).not.toMatch(/[\r\n]/);
    for (const name of ['PORT', 'LOG_FORMAT', 'AWS_REGION']) expect(error.message).toContain(name);
  });

  it('shows the offending value, except for URLs, keys, secrets and passwords', () => {
    expect(configError({ LOG_FORMAT: 'xml' }).message).toContain('"xml"');
    const leaky = configError({
      DATABASE_URL: 'mysql://admin:hunter2@db/app',
      ADMIN_USERNAME: 'ops',
      ADMIN_PASSWORD: '',
      HUBSPOT_WEBHOOK_URL: 'not-a-url-with-token-s3cr3t',
    });
    expect(leaky.message).toContain('DATABASE_URL');
    expect(leaky.message).toContain('HUBSPOT_WEBHOOK_URL');
    expect(leaky.message).not.toContain('hunter2');
    expect(leaky.message).not.toContain('s3cr3t');
  });
});

describe('loadConfig: required settings', () => {
  it('starts in production with DATABASE_URL, REDIS_URL and INTERNAL_API_KEYS', () => {
    expect(loadConfig(PRODUCTION)).toMatchObject({
      NODE_ENV: 'production',
      DATABASE_URL: PRODUCTION.DATABASE_URL,
    });
  });

  it.each(['DATABASE_URL', 'REDIS_URL', 'INTERNAL_API_KEYS'])('refuses production without %s', (name) => {
    const error = configError({ ...PRODUCTION, [name]: undefined });
    expect(error.message).toContain(name);
    expect(error.message).toContain('production');
    expect(error.message).not.toMatch(/[\r\n]/);
  });

  it('refuses production when INTERNAL_API_KEYS holds only blanks and commas', () => {
    expect(configError({ ...PRODUCTION, INTERNAL_API_KEYS: ' , ,' }).message).toContain('INTERNAL_API_KEYS');
  });

  it('requires the pool id and the client id when COGNITO_VERIFY_JWT=true', () => {
    const neither = configError({ COGNITO_VERIFY_JWT: 'true' });
    expect(neither.message).toContain('COGNITO_USER_POOL_ID');
    expect(neither.message).toContain('COGNITO_CLIENT_ID');
    expect(configError({ COGNITO_VERIFY_JWT: 'true', COGNITO_CLIENT_ID: 'client' }).message).toContain(
      'COGNITO_USER_POOL_ID',
    );
    expect(
      configError({ COGNITO_VERIFY_JWT: 'true', COGNITO_USER_POOL_ID: 'eu-west-2_abc' }).message,
    ).toContain('COGNITO_CLIENT_ID');
    expect(
      loadConfig({
        COGNITO_VERIFY_JWT: 'true',
        COGNITO_USER_POOL_ID: 'eu-west-2_abc',
        COGNITO_CLIENT_ID: 'client',
      }).COGNITO_VERIFY_JWT,
    ).toBe(true);
  });

  it('requires ADMIN_USERNAME and ADMIN_PASSWORD together', () => {
    expect(configError({ ADMIN_USERNAME: 'ops' }).message).toContain('ADMIN_PASSWORD');
    expect(loadConfig({ ADMIN_USERNAME: 'ops', ADMIN_PASSWORD: 'pw' }).ADMIN_USERNAME).toBe('ops');
  });
});

describe('loadConfig: Redis Cluster and TLS', () => {
  const NODES = 'redis://10.0.0.1:6379, redis://10.0.0.2:6380';
  let dir: string;
  let caFile: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aligner-config-ca-'));
    caFile = path.join(dir, 'ca.pem');
    await writeFile(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    await writeFile(path.join(dir, 'not-a-cert.txt'), 'hello');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('takes the seed nodes and makes the queue prefix a hash tag, so each queue stays in one slot', () => {
    const config = loadConfig({ REDIS_CLUSTER_NODES: NODES });
    expect(config.REDIS_CLUSTER_NODES).toEqual(['redis://10.0.0.1:6379', 'redis://10.0.0.2:6380']);
    expect(config.QUEUE_PREFIX).toBe('{aligner}');
    expect(loadConfig({ REDIS_CLUSTER_NODES: NODES, QUEUE_PREFIX: 'staging' }).QUEUE_PREFIX).toBe(
      '{staging}',
    );
    expect(loadConfig({ REDIS_CLUSTER_NODES: NODES, QUEUE_PREFIX: 'app-{q}' }).QUEUE_PREFIX).toBe('app-{q}');
    // One Redis: the prefix is used as given.
    expect(loadConfig({ QUEUE_PREFIX: 'staging' }).QUEUE_PREFIX).toBe('staging');
    expect(loadConfig({}).REDIS_CLUSTER_NODES).toEqual([]);
  });

  it('starts in production with REDIS_CLUSTER_NODES instead of REDIS_URL', () => {
    const config = loadConfig({
      ...PRODUCTION,
      REDIS_URL: undefined,
      REDIS_CLUSTER_NODES: 'rediss://:token@clustercfg.cache.internal:6379',
    });
    expect(config.REDIS_CLUSTER_NODES).toEqual(['rediss://:token@clustercfg.cache.internal:6379']);
  });

  it.each([
    ['both REDIS_URL and REDIS_CLUSTER_NODES', { REDIS_URL: 'redis://one:6379', REDIS_CLUSTER_NODES: NODES }],
    ['a node that is not a Redis URL', { REDIS_CLUSTER_NODES: 'redis://10.0.0.1:6379,http://10.0.0.2:6379' }],
    ['a node without a host', { REDIS_CLUSTER_NODES: 'redis://' }],
    ['a node naming a database', { REDIS_CLUSTER_NODES: 'redis://10.0.0.1:6379/2' }],
    ['nodes mixing TLS and plain', { REDIS_CLUSTER_NODES: 'rediss://a:6379,redis://b:6379' }],
    [
      'nodes with different passwords',
      { REDIS_CLUSTER_NODES: 'redis://:s3cr3t@a:6379,redis://:0ther@b:6379' },
    ],
  ])('refuses %s with one line naming the variable, never showing a password', (_, env) => {
    const error = configError(env);
    expect(error.message).toMatch(/^Invalid configuration: /);
    expect(error.message).not.toMatch(/[\r\n]/);
    expect(error.message).toMatch(
      /REDIS_URL must not be set with REDIS_CLUSTER_NODES|REDIS_CLUSTER_NODES must/,
    );
    expect(error.message).not.toContain('s3cr3t');
  });

  it('reads REDIS_TLS_CA_FILE at start-up for a rediss:// Redis or cluster', () => {
    const single = loadConfig({ REDIS_URL: 'rediss://cache:6379', REDIS_TLS_CA_FILE: caFile });
    expect(single.REDIS_TLS_CA).toContain('-----BEGIN CERTIFICATE-----');
    const cluster = loadConfig({ REDIS_CLUSTER_NODES: 'rediss://a:6379', REDIS_TLS_CA_FILE: caFile });
    expect(cluster.REDIS_TLS_CA).toContain('-----BEGIN CERTIFICATE-----');
    expect(loadConfig({ REDIS_URL: 'rediss://cache:6379' }).REDIS_TLS_CA).toBeUndefined();
  });

  it.each([
    [
      'a missing file',
      () => ({ REDIS_URL: 'rediss://c:6379', REDIS_TLS_CA_FILE: path.join(dir, 'nope.pem') }),
      'ENOENT',
    ],
    ['a directory', () => ({ REDIS_URL: 'rediss://c:6379', REDIS_TLS_CA_FILE: dir }), 'EISDIR'],
    [
      'a file that is not PEM',
      () => ({ REDIS_URL: 'rediss://c:6379', REDIS_TLS_CA_FILE: path.join(dir, 'not-a-cert.txt') }),
      'PEM',
    ],
    [
      'a CA for a plain redis:// URL',
      () => ({ REDIS_URL: 'redis://c:6379', REDIS_TLS_CA_FILE: caFile }),
      'not rediss://',
    ],
    [
      'a CA for plain cluster nodes',
      () => ({ REDIS_CLUSTER_NODES: NODES, REDIS_TLS_CA_FILE: caFile }),
      'not rediss://',
    ],
  ])('refuses %s in REDIS_TLS_CA_FILE with one line', (_, env, reason) => {
    const error = configError(env());
    expect(error.message).toContain('REDIS_TLS_CA_FILE');
    expect(error.message).toContain(reason);
    expect(error.message).not.toMatch(/[\r\n]/);
  });
});

/**
 * A real S3-protocol server on loopback (s3rver), for `npm start` and for the tests:
 * the API and the worker talk to it exactly as to S3 (presigned POST and GET, HEAD,
 * List, Delete). See docs/decisions/005-local-s3.md for why s3rver and what it does not check.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { loadConfig } from '../shared/config.js';

/** s3rver's one built-in account; any other key id is refused. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface LocalS3Options {
  /** Where objects are stored as files (created when missing). */
  directory: string;
  bucket: string;
  /** 0: any free port. */
  port?: number;
}

export interface LocalS3 {
  endpoint: string;
  port: number;
  bucket: string;
  directory: string;
  /** What the API and the worker need in their environment to use it. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  // s3rver is a development dependency: loaded only when a local S3 is asked for.
  const { default: S3rver } = await import('s3rver');
  await mkdir(options.directory, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    directory: options.directory,
    // Its request log would print presigned query strings, signatures included.
    silent: true,
    vhostBuckets: false,
    configureBuckets: [{ name: options.bucket, configs: [] }],
  });
  const address: AddressInfo = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    port: address.port,
    bucket: options.bucket,
    directory: options.directory,
    env: {
      S3_ENDPOINT: endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      USER_IMAGES_BUCKET: options.bucket,
      AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    },
    close: () => server.close(),
  };
}

/** s3rver's usual port: stable across restarts, so URLs handed out before a restart still work. */
export const DEVELOPMENT_S3_PORT = 4568;

/**
 * `npm start` in development with no S3_ENDPOINT configured: a local S3 storing its
 * files in `.local/s3` (git-ignored), and the settings both processes need to use it.
 * Anywhere else (an endpoint is set, e.g. MinIO; or not development): nothing.
 */
export async function startDevelopmentS3(projectRoot: string): Promise<LocalS3 | undefined> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  let config;
  try {
    config = loadConfig(process.env);
  } catch {
    return undefined; // the API and worker will each name the bad variable and stop
  }
  if (config.NODE_ENV !== 'development' || config.S3_ENDPOINT) return undefined;
  const directory = path.join(projectRoot, '.local', 's3');
  const s3 = await startLocalS3({ directory, bucket: config.USER_IMAGES_BUCKET, port: DEVELOPMENT_S3_PORT });
  console.log(
    `Local S3 (s3rver) on ${s3.endpoint}, bucket "${s3.bucket}", files in ${directory} (set S3_ENDPOINT to use another S3 server)`,
  );
  return s3;
}

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LOCAL_S3_CREDENTIALS, startLocalS3, type LocalS3 } from '../../src/dev/local-s3.js';

/** Same name as the development default: tests use the configuration that ships. */
export const TEST_BUCKET = 'aligner-user-images';

// The SDK signs with credentials from the environment; s3rver knows only its own key.
process.env.AWS_ACCESS_KEY_ID = LOCAL_S3_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = LOCAL_S3_CREDENTIALS.secretAccessKey;
// Known and handled (STACK.md: production images run Node 22); not worth a line per test file.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export interface TestS3 extends LocalS3 {
  /** Status, size and type of an object, asked of the server directly (unsigned), not through the app's client. */
  head(key: string): Promise<{ status: number; size?: number; contentType?: string | null }>;
  /** Keys under a prefix, from the server's own listing. */
  list(prefix: string): Promise<string[]>;
}

function withProbes(server: LocalS3, cleanUp: () => Promise<void>): TestS3 {
  const objectUrl = (key: string) =>
    `${server.endpoint}/${server.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  return {
    ...server,
    head: async (key) => {
      const response = await fetch(objectUrl(key), { method: 'HEAD' });
      return response.ok
        ? {
            status: response.status,
            size: Number(response.headers.get('content-length')),
            contentType: response.headers.get('content-type'),
          }
        : { status: response.status };
    },
    list: async (prefix) => {
      const response = await fetch(
        `${server.endpoint}/${server.bucket}?list-type=2&prefix=${encodeURIComponent(prefix)}`,
      );
      const xml = await response.text();
      if (!response.ok) throw new Error(`list failed: ${response.status} ${xml}`);
      return [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((match) => match[1]!);
    },
    close: async () => {
      await server.close();
      await cleanUp();
    },
  };
}

/** A real S3 server (s3rver) in this process, on a free loopback port, storing into a fresh temporary directory. */
export async function startTestS3(): Promise<TestS3> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'aligner-s3-'));
  const server = await startLocalS3({ directory, bucket: TEST_BUCKET, port: 0 });
  return withProbes(server, () => rm(directory, { recursive: true, force: true }));
}

const CHILD_SERVER = `
const S3rver = require('s3rver');
const [directory, bucket] = process.argv.slice(1);
new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true, vhostBuckets: false,
  configureBuckets: [{ name: bucket, configs: [] }] })
  .run()
  .then((address) => console.log(JSON.stringify({ port: address.port })));
`;

/**
 * s3rver in a child process with OpenSSL's legacy provider. s3rver 3.7.1 makes its
 * ListObjectsV2 continuation tokens with DES, which Node ≥ 17 refuses by default: a
 * truncated listing is then a 500. Only tests of paged listings need this one.
 */
export async function startTestS3Process(): Promise<TestS3> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'aligner-s3-'));
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '-e', CHILD_SERVER, directory, TEST_BUCKET],
    { cwd: path.resolve(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  const { port } = JSON.parse(line.toString('utf8')) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  const server: LocalS3 = {
    endpoint,
    port,
    bucket: TEST_BUCKET,
    directory,
    env: { S3_ENDPOINT: endpoint, S3_FORCE_PATH_STYLE: 'true', USER_IMAGES_BUCKET: TEST_BUCKET },
    close: async () => {
      child.kill();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
  return withProbes(server, () => rm(directory, { recursive: true, force: true }));
}

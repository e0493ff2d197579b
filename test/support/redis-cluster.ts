import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from './jobs.js';
import { startTestRedisServer, type TestRedisServer } from './redis-server.js';
import type { TestCertificates } from './tls.js';

const run = promisify(execFile);

/** A node as `CLUSTER NODES` describes it. */
interface NodeLine {
  id: string;
  port: number;
  flags: string[];
  /** The primary's id, for a replica. */
  primaryId: string | undefined;
  slots: string[];
}

function parseNodes(text: string): NodeLine[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, address, flags, primary, , , , , ...slots] = line.trim().split(' ');
      return {
        id: id!,
        // 127.0.0.1:port@bus-port (the TLS port when the cluster runs TLS)
        port: Number(/:(\d+)@/.exec(address!)?.[1]),
        flags: flags!.split(','),
        primaryId: primary === '-' ? undefined : primary,
        slots,
      };
    });
}

export interface TestRedisCluster {
  servers: TestRedisServer[];
  /** REDIS_CLUSTER_NODES: every node, as a deployment would list its seeds. */
  nodesEnv: string;
  /** The servers that are primaries now. */
  primaries(): Promise<TestRedisServer[]>;
  /** The server that is primary for `key`'s slot now. */
  primaryFor(key: string): Promise<TestRedisServer>;
  /**
   * SIGKILLs `primary` and waits until one of its replicas has taken over its slots and
   * every surviving node says `cluster_state:ok`. Returns that replica and how long it took.
   */
  killPrimary(primary: TestRedisServer): Promise<{ promoted: TestRedisServer; failoverMs: number }>;
  stop(): Promise<void>;
}

/**
 * Six redis-servers in cluster mode on loopback (three primaries, one replica each),
 * made into one cluster by `redis-cli --cluster create`. Node timeout 1 s, so a dead
 * primary's replica takes over within a few seconds. With `tls`, the nodes serve TLS
 * only, between themselves too (`--tls-cluster`, `--tls-replication`).
 */
export async function startTestRedisCluster(
  options: { tls?: TestCertificates } = {},
): Promise<TestRedisCluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aligner-redis-cluster-'));
  const servers: TestRedisServer[] = [];
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  const cli = (port: number, ...args: string[]) =>
    run('redis-cli', [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      ...(options.tls ? ['--tls', '--cacert', options.tls.caFile] : []),
      ...args,
    ]).then(({ stdout }) => stdout);
  const alive = () => servers.filter((server) => server.child.exitCode === null && !server.child.signalCode);
  const nodes = async (server: TestRedisServer) => parseNodes(await cli(server.port, 'cluster', 'nodes'));
  const allOk = async (among: TestRedisServer[]) =>
    (await Promise.all(among.map((server) => cli(server.port, 'cluster', 'info')))).every((info) =>
      info.includes('cluster_state:ok'),
    );
  const waitUntil = (what: string, done: () => Promise<boolean>, timeoutMs = 20_000) =>
    waitFor(
      () => done().catch(() => false),
      (met) => met,
      timeoutMs,
      `Redis cluster: ${what}`,
    );

  try {
    const started = await Promise.allSettled(
      Array.from({ length: 6 }, async (_, index) => {
        const nodeDir = path.join(dir, `node-${index}`);
        await mkdir(nodeDir);
        return startTestRedisServer({
          dir: nodeDir,
          ...(options.tls ? { tls: options.tls } : {}),
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            path.join(nodeDir, 'nodes.conf'),
            '--cluster-node-timeout',
            '1000',
            // A replica's first sync starts at once, not after the default 5 s wait for more replicas.
            '--repl-diskless-sync-delay',
            '0',
            ...(options.tls ? ['--tls-cluster', 'yes', '--tls-replication', 'yes'] : []),
          ],
        });
      }),
    );
    for (const outcome of started) if (outcome.status === 'fulfilled') servers.push(outcome.value);
    for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason;
    await cli(
      servers[0]!.port,
      '--cluster',
      'create',
      ...servers.map((server) => `127.0.0.1:${server.port}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    );
    await waitUntil('cluster_state:ok on every node', () => allOk(servers));
    // A replica still syncing could not take over: wait until each has its primary's data.
    await waitUntil('every replica in sync', async () => {
      const lines = await nodes(servers[0]!);
      const replicas = lines.filter((line) => line.flags.includes('slave'));
      if (replicas.length !== 3) return false;
      const infos = await Promise.all(replicas.map((line) => cli(line.port, 'info', 'replication')));
      return infos.every((info) => info.includes('master_link_status:up'));
    });
  } catch (error) {
    await stop();
    throw error;
  }

  const byPort = (port: number) => servers.find((server) => server.port === port)!;
  return {
    servers,
    nodesEnv: servers.map((server) => server.url).join(','),
    async primaries() {
      const lines = await nodes(alive()[0]!);
      return lines
        .filter((line) => line.flags.includes('master') && !line.flags.includes('fail'))
        .map((line) => byPort(line.port));
    },
    async primaryFor(key) {
      const [server] = alive();
      const slot = Number((await cli(server!.port, 'cluster', 'keyslot', key)).trim());
      const owner = (await nodes(server!)).find(
        (line) =>
          line.flags.includes('master') &&
          !line.flags.includes('fail') &&
          line.slots.some((range) => {
            const [from, to = from] = range.split('-').map(Number);
            return slot >= from! && slot <= to!;
          }),
      );
      if (!owner) throw new Error(`no primary holds slot ${slot}`);
      return byPort(owner.port);
    },
    async killPrimary(primary) {
      const [self] = (await nodes(primary)).filter((line) => line.flags.includes('myself'));
      const started = Date.now();
      await primary.kill();
      let promoted: TestRedisServer | undefined;
      await waitUntil('a replica promoted', async () => {
        const lines = await nodes(alive()[0]!);
        const replacement = lines.find(
          (line) =>
            line.id !== self!.id &&
            line.flags.includes('master') &&
            !line.flags.includes('fail') &&
            line.slots.join(' ') === self!.slots.join(' '),
        );
        if (!replacement) return false;
        promoted = byPort(replacement.port);
        return allOk(alive());
      });
      return { promoted: promoted!, failoverMs: Date.now() - started };
    },
    stop,
  };
}

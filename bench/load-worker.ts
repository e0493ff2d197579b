/**
 * The load generator, run as its own process (never inside the server under test):
 * reads a LoadSpec as JSON on stdin, prepares the requests, prints `{"started":true}`,
 * runs autocannon for the fixed duration with the fixed connection count, and prints
 * autocannon's result as one JSON line on stdout, with one field added:
 * `loadProcess.cpuSeconds`, this process's own CPU time while autocannon ran (is the load
 * generator what limits the rate?).
 *
 *   echo '{"url":…,"connections":32,"durationSeconds":10,"seed":1,"plan":{…}}' | tsx bench/load-worker.ts
 */
import autocannon from 'autocannon';
import { buildRequests, type LoadSpec } from './request-plans.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const spec = JSON.parse(await readStdin()) as LoadSpec;
const requests = await buildRequests(spec);
// The runner's CPU accounting starts here, after start-up and token minting.
process.stdout.write('{"started":true}\n');
const startCpu = process.cpuUsage();

const result = await autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.durationSeconds,
  pipelining: 1,
  timeout: 10,
  requests,
});

const cpu = process.cpuUsage(startCpu);
const loadProcess = { cpuSeconds: (cpu.user + cpu.system) / 1e6 };
process.stdout.write(`${JSON.stringify({ ...result, loadProcess })}\n`);
// autocannon leaves nothing open, but the bench must never wait on a stray handle.
process.exit(0);

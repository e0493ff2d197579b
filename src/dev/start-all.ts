/**
 * `npm start`: the API and the worker as two processes, as in production, with
 * readable logs. Ctrl-C (or SIGTERM) stops both gracefully; if one dies, the other
 * is stopped too and the exit code says so.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevelopmentS3 } from './local-s3.js';
import { HEAP_LIMIT_FLAG } from '../shared/process/heap.js';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// In development with no S3_ENDPOINT, a local S3 for both processes (docs/decisions/005-local-s3.md).
const localS3 = await startDevelopmentS3(path.resolve(dist, '..')).catch((error: Error) => {
  console.error(`Local S3 could not start (${error.message}); set S3_ENDPOINT to use another S3 server`);
  process.exit(1);
});
const env = { ...process.env, LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty', ...localS3?.env };

function start(name: string, entry: string): ChildProcess {
  const child = spawn(process.execPath, [HEAP_LIMIT_FLAG, path.join(dist, entry)], { env, stdio: 'inherit' });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping the rest`);
      exitCode = code || 1;
      stopAll('SIGTERM');
    }
  });
  return child;
}

let stopping = false;
let exitCode = 0;
const children = [start('api', 'api/main.js'), start('worker', 'worker/main.js')];

function stopAll(signal: NodeJS.Signals): void {
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill(signal);
}

process.on('SIGINT', () => stopAll('SIGTERM'));
process.on('SIGTERM', () => stopAll('SIGTERM'));

await Promise.all(
  children.map(
    (child) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.on('exit', (code) => {
          if (code) exitCode = exitCode || code;
          resolve();
        });
      }),
  ),
);
await localS3?.close();
process.exit(exitCode);

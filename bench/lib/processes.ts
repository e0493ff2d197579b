import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';

/** `node --import tsx file`: how the bench runs its TypeScript children (no build step). */
export function tsxCommand(file: string): { command: string; args: string[] } {
  return { command: process.execPath, args: ['--import', 'tsx', file] };
}

/** A free TCP port on loopback (asked of the kernel, then released for the child to take). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A long-running child (a server under test) whose output goes to a log file. stop()
 * sends SIGTERM to that one process and, if it has not exited in `graceMs`, SIGKILL.
 */
export class ManagedProcess {
  /** Every child still running, for the runner to stop when it is interrupted. */
  static readonly running = new Set<ManagedProcess>();

  static async stopAll(): Promise<void> {
    await Promise.all([...ManagedProcess.running].map((child) => child.stop()));
  }

  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    readonly logFile: string,
    onStdoutLine?: (line: string) => void,
  ) {
    mkdirSync(dirname(logFile), { recursive: true });
    const log = createWriteStream(logFile, { flags: 'w' });
    this.child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      log.write(chunk);
      if (!onStdoutLine) return;
      buffered += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        onStdoutLine(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
      }
    });
    this.child.stderr?.pipe(log, { end: false });
    ManagedProcess.running.add(this);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        ManagedProcess.running.delete(this);
        this.exitCode = code ?? (signal ? null : 0);
        log.end();
        resolve(this.exitCode);
      });
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} did not start`);
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** The end of the log, for an error message when the process died. */
  logTail(lines = 20): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * Runs a child to completion with `input` on stdin; resolves with its stdout. Bounded:
 * killed (SIGKILL, that process only) after `timeoutMs`, which rejects. `onStdoutLine`
 * sees each line of stdout as it comes.
 */
export async function runToCompletion(
  command: string,
  args: string[],
  options: {
    input: string;
    timeoutMs: number;
    env?: NodeJS.ProcessEnv;
    onStdoutLine?: (line: string) => void;
  },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      if (!options.onStdoutLine) return;
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop()!;
      for (const line of lines) options.onStdoutLine(line);
    });
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const err = Buffer.concat(stderr).toString('utf8').trim();
      if (timedOut) reject(new Error(`${args.join(' ')} killed after ${options.timeoutMs} ms`));
      else if (code !== 0) reject(new Error(`${args.join(' ')} exited with ${code}: ${err.slice(-2000)}`));
      else resolve(Buffer.concat(stdout).toString('utf8'));
    });
    child.stdin.end(options.input);
  });
}

/** Polls `url` until it answers 200, the process dies, or `timeoutMs` passes. */
export async function waitUntilReady(url: string, process: ManagedProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!process.running) {
      throw new Error(`${process.name} exited before it was ready:\n${process.logTail()}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(
    `${process.name} not ready at ${url} after ${timeoutMs} ms (${last}):\n${process.logTail()}`,
  );
}

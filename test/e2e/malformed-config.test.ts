import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ensureBuilt } from '../support/processes.js';

// The compiled entry point, as production starts it (loadConfig's rules themselves are
// unit-tested in test/unit/config.test.ts).
const ROOT = path.resolve(import.meta.dirname, '../..');

describe('the API entry point with a malformed value', () => {
  const entry = path.join(ROOT, 'dist/api/main.js');
  let cwd: string;

  beforeAll(async () => {
    ensureBuilt();
    // An empty working directory: no .env is read, so only the environment below counts.
    cwd = await mkdtemp(path.join(os.tmpdir(), 'aligner-config-'));
  }, 120_000);
  afterAll(() => rm(cwd, { recursive: true, force: true }));

  it('exits with code 1 and a single stderr line naming the variable', async () => {
    const child = spawn(process.execPath, [entry], {
      cwd,
      env: { PATH: process.env.PATH, LOG_FORMAT: 'xml' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    const lines = stderr.split('\n').filter((line) => line.trim() !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('LOG_FORMAT');
    expect(lines[0]).toContain('json or pretty');
    expect(stdout).toBe('');
  }, 30_000);
});

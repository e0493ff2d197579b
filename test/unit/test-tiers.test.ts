import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { TIERS } from '../../jest.config.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function* testFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* testFiles(path);
    else if (entry.endsWith('.test.ts')) yield relative(ROOT, path);
  }
}

const tierRoots = Object.entries(TIERS).map(
  ([tier, roots]) => [tier, roots.map((root) => relative(ROOT, root.replace('<rootDir>', ROOT)))] as const,
);

describe('test tiers (jest.config.js)', () => {
  it('put every test file in exactly one tier, so that npm test runs each once', () => {
    const misplaced = [...testFiles(join(ROOT, 'test'))]
      .map((file) => ({
        file,
        tiers: tierRoots
          .filter(([, roots]) => roots.some((root) => file.startsWith(`${root}${sep}`)))
          .map(([tier]) => tier),
      }))
      .filter(({ tiers }) => tiers.length !== 1);
    expect(misplaced).toEqual([]);
  });

  it('keep the unit tier to its own folder: pure tests, no servers', () => {
    expect(TIERS.unit).toEqual(['<rootDir>/test/unit']);
  });
});

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import config, { TIERS } from '../../jest.config.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The one pattern every tier matches its files by (each project's testMatch). */
const TEST_MATCH = '**/*.test.ts';

interface Project {
  displayName: string;
  roots: string[];
  testMatch: string[];
  globalSetup?: string;
}
const projects = config.projects as unknown as Project[];

function* testFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* testFiles(path);
    else if (entry.endsWith('.test.ts')) yield relative(ROOT, path);
  }
}

const fromRoot = (root: string) => relative(ROOT, root.replace('<rootDir>', ROOT));

describe('test tiers (jest.config.js)', () => {
  it('are the four projects, each with its own name, all matching files by one pattern', () => {
    expect(projects.map((project) => project.displayName)).toEqual(['unit', 'integration', 'e2e', 'slow']);
    for (const project of projects) {
      expect([project.displayName, project.testMatch]).toEqual([project.displayName, [TEST_MATCH]]);
      expect(project.roots).toEqual(TIERS[project.displayName as keyof typeof TIERS]);
    }
  });

  it('put every test file in exactly one tier, so that npm test runs each once', () => {
    const misplaced = [...testFiles(join(ROOT, 'test'))]
      .map((file) => ({
        file,
        tiers: projects
          .filter(({ roots }) => roots.some((root) => file.startsWith(`${fromRoot(root)}${sep}`)))
          .map(({ displayName }) => displayName),
      }))
      .filter(({ tiers }) => tiers.length !== 1);
    expect(misplaced).toEqual([]);
  });

  it('run all together in npm test, and each alone in npm run test:<tier>', () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts.test).not.toContain('--selectProjects');
    for (const { displayName } of projects)
      expect(scripts[`test:${displayName}`]).toBe(`${scripts.test} --selectProjects ${displayName}`);
  });

  it('keep the unit tier to its own folder, without the database set-up', () => {
    const unit = projects.find((project) => project.displayName === 'unit')!;
    expect(unit.roots).toEqual(['<rootDir>/test/unit']);
    expect(unit.globalSetup).toBeUndefined();
  });

  it('keep unit tests pure: none starts a process or reaches a database, Redis or a server', () => {
    // What the other tiers use to do so: a unit test importing one belongs there.
    const impure =
      /from '(node:child_process|node:net|node:http|pg|knex|bullmq|nock|.*\/support\/(app|database|postgres|redis|processes|worker|s3|tcp-proxy|redis-server|redis-cluster|stubs\/.*))(\.js)?'/;
    const offenders = [...testFiles(join(ROOT, 'test/unit'))].filter((file) =>
      impure.test(readFileSync(join(ROOT, file), 'utf8')),
    );
    expect(offenders).toEqual([]);
  });
});

#!/usr/bin/env node
// Checks that comments and documents cite only what the repository contains (issue 15):
//
// - every `docs/….md` path and every code path (`src/…/x.ts`, `test/…`) cited in src/, test/, migrations/, bench/, scripts/ and the
//   repository's configuration files exists, and so does its `#section` when it names
//   one (GitHub's heading anchors);
// - every relative Markdown link in README.md and docs/ points to an existing file
//   (and section);
// - no file cites "SPEC", the specification kept outside the repository, or a path
//   outside it (`/work/shared/…`, `../seed/`).
//
//   node scripts/check-doc-citations.mjs    exit 0 when all hold, else 1 with one line per problem
//
// No dependencies: Node 20+ only.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One line on stdout (the lint allows console.error only). */
const print = (line) => process.stdout.write(`${line}\n`);

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const CODE_TARGETS = [
  'src',
  'test',
  'migrations',
  'bench',
  'scripts',
  'ops',
  'docker-compose.yml',
  '.github',
  'Dockerfile.api',
  'Dockerfile.worker',
];
const CODE_FILES = /\.(ts|js|mjs|cjs|tsx|yml|yaml|json|sh)$|Dockerfile/;
const SELF = relative(ROOT, fileURLToPath(import.meta.url));

function* walk(path, accept) {
  const stats = statSync(path, { throwIfNoEntry: false });
  if (!stats) return;
  if (stats.isFile()) {
    if (accept(path)) yield path;
    return;
  }
  for (const entry of readdirSync(path)) {
    if (['node_modules', 'dist', 'coverage', 'results', '.git'].includes(entry)) continue;
    yield* walk(join(path, entry), accept);
  }
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading) {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

const anchorCache = new Map();
/** The anchors of a Markdown file's headings (outside code fences), duplicates numbered. */
function anchorsOf(file) {
  if (anchorCache.has(file)) return anchorCache.get(file);
  const anchors = new Set();
  const counts = new Map();
  let fenced = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = slug(heading[1]);
    const count = counts.get(base) ?? 0;
    counts.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  anchorCache.set(file, anchors);
  return anchors;
}

const problems = [];

/** `target` (a path from the repository root, maybe with #anchor) cited at `where`. */
function checkTarget(target, where) {
  const [path, anchor] = target.split('#');
  const file = join(ROOT, path);
  if (!normalize(file).startsWith(ROOT) || !existsSync(file)) {
    problems.push(`${where}: cites ${target}, which the repository does not contain`);
    return;
  }
  if (anchor && path.endsWith('.md') && !anchorsOf(file).has(anchor))
    problems.push(`${where}: cites ${target}, but ${path} has no section #${anchor}`);
}

/** Every path into the repository's code (`src/…/x.ts`, `test/…`) named on a line must exist. */
function checkSourcePaths(line, where) {
  for (const match of line.matchAll(
    /(?<![\w./-])(?:src|test|bench|migrations|scripts)\/[\w./-]*?\.(?:ts|js|mjs|sql|sh)\b/g,
  )) {
    citations += 1;
    checkTarget(match[0], where);
  }
}

let citations = 0;
for (const target of CODE_TARGETS) {
  for (const file of walk(join(ROOT, target), (path) => CODE_FILES.test(path))) {
    const path = relative(ROOT, file);
    if (path === SELF) continue;
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const where = `${path}:${i + 1}`;
        for (const match of line.matchAll(/\bdocs\/[\w./-]*?\.md(?:#[\w-]+)?/g)) {
          citations += 1;
          checkTarget(match[0], where);
        }
        checkSourcePaths(line, where);
        if (/\bSPEC\b/.test(line)) problems.push(`${where}: cites SPEC: ${line.trim()}`);
        if (/\/work\/shared\b|\.\.\/seed\b/.test(line))
          problems.push(`${where}: points outside the repository: ${line.trim()}`);
      });
  }
}

const markdown = [join(ROOT, 'README.md'), ...walk(join(ROOT, 'docs'), (path) => path.endsWith('.md'))];
for (const file of markdown) {
  const path = relative(ROOT, file);
  let fenced = false;
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
      if (fenced) return;
      const where = `${path}:${i + 1}`;
      checkSourcePaths(line, where);
      if (/\bSPEC\b|\/work\/shared\b|\.\.\/seed\b/.test(line))
        problems.push(`${where}: cites SPEC: ${line.trim()}`);
      for (const match of line.matchAll(/\]\(([^)\s]+)\)/g)) {
        const link = match[1];
        if (/^[a-z][a-z+.-]*:/i.test(link)) continue; // http:, https:, mailto:
        citations += 1;
        if (link.startsWith('#')) {
          if (!anchorsOf(file).has(link.slice(1))) problems.push(`${where}: no section ${link} in ${path}`);
          continue;
        }
        const [target, anchor] = link.split('#');
        const resolved = relative(ROOT, join(dirname(file), target));
        checkTarget(anchor ? `${resolved}#${anchor}` : resolved, where);
      }
    });
}

for (const problem of problems) print(problem);
print(`${citations} citation(s) and link(s) checked; ${problems.length} problem(s)`);
process.exitCode = problems.length ? 1 : 0;

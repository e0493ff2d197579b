#!/usr/bin/env node
// Rewrites every citation of "SPEC" (a specification document this repository does not
// contain) in src/, test/ and migrations/ into a citation of the repository's own
// documents under docs/ (issue 15). No dependencies: Node 20+ only.
//
//   node scripts/replace-spec-citations.mjs            rewrite the files in place
//   node scripts/replace-spec-citations.mjs --dry-run  print each rewritten line, change nothing
//
// Every line that mentions SPEC is rewritten or reported; the exit code is 1 when a
// line could not be rewritten (it is printed, and left for a person to fix).
// Afterwards: `node scripts/check-doc-citations.mjs` checks that every cited document
// and section exists, and `npx prettier --check .` that the formatting still holds.
//
// How a citation is mapped: each SPEC section number has a document (SECTIONS), and
// where the citation names a part (`§3 Photos`) or the line's words or the file's path
// say which part it is about, the section anchor within it (ANCHORS). A citation of two
// sections that land in one document cites the document once.

import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One line on stdout (the lint allows console.error only). */
const print = (line) => process.stdout.write(`${line}\n`);

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const TARGETS = ['src', 'test', 'migrations', 'docker-compose.yml', '.github/workflows/ci.yml'];
const EXTENSIONS = /\.(ts|js|mjs|cjs|tsx|yml|yaml)$/;

/** SPEC section → the document that now holds its rules (SPEC §n headings, in order). */
const SECTIONS = {
  1: 'docs/conventions.md', // 1. Conventions
  2: 'docs/auth.md', // 2. Authentication and authorization
  3: 'docs/resources.md', // 3. Mobile resources (`/auth`)
  4: 'docs/reminders.md', // 4. Push reminders (OneSignal, worker)
  5: 'docs/dentists.md', // 5. Dentist change (Jarvis, worker)
  6: 'docs/hubspot.md', // 6. HubSpot webhooks
  7: 'docs/dispatch.md', // 7. Reliable dispatch
  8: 'docs/internal-api.md', // 8. Internal API (`/internal`, Jarvis)
  9: 'docs/operations.md', // 9. Operations
  10: 'docs/operations.md#configuration', // 10. Configuration
};

/** A part a citation names after its number (`SPEC §3 Photos`): its document and section. */
const QUALIFIERS = [
  [/^DELETE \/images\b/, 'docs/resources.md#photos'],
  [/^DELETE\b/, 'docs/resources.md#account-erasure'],
  [/^Profile\b/, 'docs/resources.md#profile'],
  [/^Photos\b/, 'docs/resources.md#photos'],
  [/^Treatment\b/, 'docs/resources.md#treatment'],
  [/^Wear tracking\b/, 'docs/resources.md#wear-sessions'],
  [/^Dentists\b/, 'docs/dentists.md#directory'],
  [/^Reminders\b/, 'docs/reminders.md#settings'],
  [/^Idempotency-Key\b/, 'docs/conventions.md#idempotency-key'],
  [/^`(?:POST|GET) \/treatment\/extensions`/, 'docs/resources.md#extensions'],
  [/^`(?:POST|GET) \/treatment\/aligner-changes`/, 'docs/resources.md#aligner-changes'],
  [/^`GET \/export`/, 'docs/resources.md#export'],
];

/**
 * Per section: the words on the line (or, failing that, the file's path) that say
 * which part of the document a citation is about. First match wins; none: the
 * document itself.
 */
const ANCHORS = {
  1: {
    line: [
      [/idempotency|printable ascii|key answers/i, 'idempotency-key'],
      [/request id|gives every request an id/i, 'request-ids'],
      [/openapi/i, 'openapi'],
      [/paginat|cursor|limit defaults/i, 'pagination'],
      [/json only/i, 'json'],
      [/problem|5xx|\b500\b|\b413\b|\b415\b|\b422\b|error|refus|hostile/i, 'errors'],
      [/utc|instants|milliseconds/i, 'json'],
    ],
  },
  2: {
    line: [
      [/hubspot|signature/i, 'hubspot-signature'],
      [/x-api-key|internal api|\/internal|api key/i, 'api-keys'],
      [/\bjwt\b|bearer|api gateway/i, 'jwt'],
      [/of this user only|within the user|another user's id|like any object/i, 'object-ownership'],
      [/own sub|cognito_sub/i, 'path-ownership'],
      [/one scheme per caller/i, 'callers'],
    ],
  },
  3: {
    line: [
      [/reminder settings|\bsettings\b/i, 'docs/reminders.md#settings'],
      [/PUT `?\/treatment\b(?!\/)/, 'treatment'],
      [/wear-stats|wear stats/i, 'wear-stats'],
      [/wear-session|wear session|out-of-mouth|\bsessions?\b/i, 'wear-sessions'],
      [/aligner-changes|aligner change/i, 'aligner-changes'],
      [/extension/i, 'extensions'],
      [/dentist-change-request|change request|change dentist/i, 'docs/dentists.md#change-requests'],
      [/\/images|photo|upload|download links|presigned|IMAGE_PENDING_MAX|checks the object/i, 'photos'],
      [/erasure|\berase|DELETE \/auth\/users/i, 'account-erasure'],
      [/export|right of access/i, 'export'],
      [/profile|hubspot contact/i, 'profile'],
      [/directory|dentists\b/i, 'docs/dentists.md#directory'],
      [/treatment plan/i, 'treatment'],
    ],
    path: [
      [/wear-stats/, 'wear-stats'],
      [/\/wear\//, 'wear-sessions'],
      [/\/images\//, 'photos'],
      [/dentist_change_requests|dentist-change/, 'docs/dentists.md#change-requests'],
      [/\/dentists\//, 'docs/dentists.md'],
      [/\/settings\//, 'docs/reminders.md#settings'],
      [/\/treatment\//, 'treatment'],
      [/\/export\//, 'export'],
      [/\/users\//, 'profile'],
    ],
  },
  4: {
    line: [
      [/wear reminder/i, 'wear-reminders'],
      [/progress reminder/i, 'progress-reminders'],
      [/cancel|already sent|unknown to onesignal/i, 'cancel'],
      [/\b429\b|rate ?limit|retry-after|hands a reminder|seed's body|schedule/i, 'schedule'],
      [/which reminders should exist|push reminder/i, 'reminder-rows'],
    ],
    path: [
      [/\/wear/, 'wear-reminders'],
      [/progress/, 'progress-reminders'],
    ],
  },
  5: {
    line: [[/has been done|complet/i, 'completion']],
    default: 'jarvis',
  },
  6: {
    line: [
      [/dedup|stored before|acknowledg|not an array/i, 'acknowledgement'],
      [/by contact id|by email|link/i, 'linking-contacts-to-users'],
      [/property value|assigned_dentist|mapped/i, 'property-map'],
      [/latest known/i, 'ordering'],
      [/applies one hubspot event|processes one stored/i, 'processing'],
    ],
  },
  7: {
    line: [
      [/sweeper/i, 'sweeper'],
      [/commit|enqueue/i, 'jobs-after-commit'],
      [/deleteobject|deletions|worker owes/i, 'rows-first'],
    ],
  },
  8: {
    line: [
      [/upsert|deactivat|directory/i, 'dentists'],
      [/plan|treatment/i, 'treatment'],
      [/dentist/i, 'dentist-assignment'],
    ],
  },
  9: {
    line: [
      [/redact|log line|logs|secret|credential|personal data|no jwt/i, 'logs'],
      [/health|ready|readiness/i, 'health-and-readiness'],
      [/metrics|prometheus/i, 'metrics'],
      [/bull board/i, 'bull-board'],
      [/migration/i, 'migrations'],
      [/sigterm|graceful|shutdown/i, 'shutdown'],
    ],
  },
};

/**
 * Citations without a section number ("the SPEC", "SPEC shape"), each rewritten as a
 * whole phrase so that the sentence still reads. Applied before the numbered ones.
 */
const PHRASES = [
  [/as the SPEC$/, 'as docs/resources.md#aligner-changes'],
  [
    /The SPEC bounds each request \(1–30 days\), not$/,
    'The request schema bounds each request (1–30 days, docs/resources.md#extensions), not',
  ],
  [/Exactly the four fields of the SPEC:/, 'Exactly the four fields of docs/reminders.md#settings:'],
  [/their schemas say what the SPEC says/, 'their schemas say what docs/conventions.md#pagination says'],
  [
    /The SPEC allows clamping instead of refusing: then the page holds at most the maximum\./,
    'Refused, as docs/conventions.md#pagination says, or clamped: then the page holds at most the maximum.',
  ],
  [/returns the exact SPEC shape/, 'returns the exact shape of docs/resources.md#wear-stats'],
  [/allows as many days as the SPEC\b/, 'allows as many days as docs/resources.md#wear-stats'],
  [/SPEC §2's table/, 'the table of docs/auth.md#callers'],
  [/\(SPEC §6\), and the user it is linked to/, '(docs/hubspot.md#ordering), and the user it is linked to'],
  [/\(SPEC §7 still holds per row:/, '(docs/dispatch.md still holds per row:'],
  [
    /in the shapes the API already uses \(SPEC §3$/,
    'in the shapes the API already uses (docs/resources.md#export:',
  ],
];

function resolve(section, qualifier, line, previous, path) {
  for (const [pattern, target] of QUALIFIERS) {
    if (qualifier !== undefined && pattern.test(qualifier))
      return { target, consumed: qualifier.match(pattern)[0] };
  }
  const doc = SECTIONS[section];
  if (!doc) return undefined;
  const rules = ANCHORS[section];
  if (!rules) return { target: doc, consumed: '' };
  const pick = (anchor) => ({
    target: anchor.startsWith('docs/') ? anchor : `${doc.split('#')[0]}#${anchor}`,
    consumed: '',
  });
  for (const [pattern, anchor] of rules.line ?? []) if (pattern.test(line)) return pick(anchor);
  // A comment's sentence may begin on the line before the citation.
  for (const [pattern, anchor] of rules.line ?? []) if (pattern.test(previous)) return pick(anchor);
  for (const [pattern, anchor] of rules.path ?? []) if (pattern.test(path)) return pick(anchor);
  if (rules.default) return pick(rules.default);
  return { target: doc, consumed: '' };
}

/**
 * The line with every citation rewritten, or undefined when one cannot be. A citation
 * is `SPEC` (or `SPEC's`) then one or more sections (`§4`, `§3 Photos`, `§4, §5`,
 * `§4 and §5`), each section possibly followed by a qualifier that names its part.
 */
function rewriteLine(line, previous, path) {
  let out = line;
  for (const [pattern, replacement] of PHRASES) out = out.replace(pattern, replacement);
  // Walk the numbered citations left to right, rebuilding the line.
  let result = '';
  let index = 0;
  const re = /\bSPEC(?:'s)?\s+§(\d+)/g;
  let match;
  while ((match = re.exec(out)) !== null) {
    result += out.slice(index, match.index);
    let cursor = match.index + match[0].length;
    const cited = [];
    let section = Number(match[1]);
    for (;;) {
      const rest = out.slice(cursor);
      const qualifier = rest.startsWith(' ') ? rest.slice(1) : undefined;
      const resolved = resolve(section, qualifier, out, previous, path);
      if (!resolved) return undefined;
      if (resolved.consumed) cursor += 1 + resolved.consumed.length;
      cited.push(resolved.target);
      const next = /^(,\s*|\s+and\s+)§(\d+)/.exec(out.slice(cursor));
      if (!next) break;
      cited.push(next[1]);
      section = Number(next[2]);
      cursor += next[0].length;
    }
    result += joinCitations(cited);
    index = cursor;
    re.lastIndex = cursor;
  }
  result += out.slice(index);
  return /\bSPEC\b/.test(result) ? undefined : result;
}

/** The line when it is a comment (its words may begin the citing sentence), else ''. */
function commentLine(line = '') {
  return /^\s*(\*|\/\/|#|\/\*)/.test(line) ? line : '';
}

/** Targets interleaved with their separators; two targets in one document cite it once. */
function joinCitations(parts) {
  const targets = parts.filter((_, i) => i % 2 === 0);
  const files = new Set(targets.map((target) => target.split('#')[0]));
  if (targets.length > 1 && files.size === 1) return [...files][0];
  if (targets.length > 1 && files.size < targets.length) {
    // Keep one citation per document, in order, joined as the original list was.
    const seen = new Set();
    const kept = [];
    targets.forEach((target, i) => {
      const file = target.split('#')[0];
      if (seen.has(file)) return;
      seen.add(file);
      if (kept.length > 0) kept.push(parts[2 * i - 1]);
      kept.push(target);
    });
    return kept.join('');
  }
  return parts.join('');
}

function* files(path) {
  const stats = statSync(path, { throwIfNoEntry: false });
  if (!stats) return;
  if (stats.isFile()) {
    if (EXTENSIONS.test(path)) yield path;
    return;
  }
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    yield* files(join(path, entry));
  }
}

const dryRun = process.argv.includes('--dry-run');
let rewritten = 0;
let changedFiles = 0;
const failures = [];

for (const target of TARGETS) {
  for (const file of files(join(ROOT, target))) {
    const path = relative(ROOT, file);
    const text = readFileSync(file, 'utf8');
    if (!/\bSPEC\b/.test(text)) continue;
    const original = text.split('\n');
    const lines = [...original];
    let changed = false;
    lines.forEach((line, i) => {
      if (!/\bSPEC\b/.test(line)) return;
      const next = rewriteLine(line, commentLine(original[i - 1]), path);
      if (next === undefined) {
        failures.push(`${path}:${i + 1}: ${line.trim()}`);
        return;
      }
      if (dryRun) print(`${path}:${i + 1}\n  - ${line.trim()}\n  + ${next.trim()}`);
      lines[i] = next;
      changed = true;
      rewritten += 1;
    });
    if (changed) {
      changedFiles += 1;
      if (!dryRun) writeFileSync(file, lines.join('\n'));
    }
  }
}

print(
  `${dryRun ? 'would rewrite' : 'rewrote'} ${rewritten} line(s) in ${changedFiles} file(s)` +
    (failures.length ? `; ${failures.length} line(s) left for a person:` : ''),
);
for (const failure of failures) print(`  ${failure}`);
process.exitCode = failures.length ? 1 : 0;

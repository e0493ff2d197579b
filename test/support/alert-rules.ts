import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The repository's Prometheus rules and their promtool tests (ops/prometheus). */
export const ALERTS_FILE = fileURLToPath(new URL('../../ops/prometheus/alerts.yml', import.meta.url));
export const ALERTS_TEST_FILE = fileURLToPath(
  new URL('../../ops/prometheus/alerts.test.yml', import.meta.url),
);
export const DASHBOARD_FILE = fileURLToPath(
  new URL('../../ops/grafana/aligner-tracker.json', import.meta.url),
);

export interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function rules(): Rule[] {
  const file = parse(readFileSync(ALERTS_FILE, 'utf8')) as { groups: Array<{ rules: Rule[] }> };
  return file.groups.flatMap((group) => group.rules);
}

export function alertRule(name: string): Rule {
  const rule = rules().find((candidate) => candidate.alert === name);
  if (!rule) throw new Error(`no alert ${name} in ${ALERTS_FILE}`);
  return rule;
}

/**
 * The number an alert compares its figure with (`… > 300`): a test drives the metric past
 * it, so the threshold is read from the rule, never copied.
 */
export function alertThreshold(name: string): number {
  const match = /[<>]=?\s*(\d+(?:\.\d+)?)\s*$/.exec(alertRule(name).expr.trim());
  if (!match) throw new Error(`alert ${name} ends with no threshold: ${alertRule(name).expr}`);
  return Number(match[1]);
}

/** `for: 2m` in seconds (0 without one). */
export function alertForSeconds(name: string): number {
  const duration = alertRule(name).for;
  if (!duration) return 0;
  const match = /^(\d+)([smh])$/.exec(duration);
  if (!match) throw new Error(`unreadable for: ${duration}`);
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] as 's' | 'm' | 'h'];
}

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'Inf',
  'NaN',
]);

/**
 * The metric names a PromQL expression reads: identifiers that are neither a function
 * (followed by `(`), a keyword, a label (inside `{…}` or a `by (…)` list) nor a string,
 * a duration or a Grafana variable. Recording rules' names (with a `:`) are included.
 */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\$\w+/g, '')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[a-zA-Z_:][\w:]*/g)) {
    const rest = stripped.slice(match.index + match[0].length);
    if (/^\s*\(/.test(rest) || PROMQL_WORDS.has(match[0])) continue;
    names.add(match[0]);
  }
  return [...names];
}

/** Every query of the Grafana dashboard, with its panel's title. */
export function dashboardQueries(): Array<{ panel: string; expr: string }> {
  const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as {
    panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
  };
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })),
  );
}

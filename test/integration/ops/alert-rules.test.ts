import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { ALERTS_FILE, ALERTS_TEST_FILE, metricNamesIn, rules } from '../../support/alert-rules.js';

// The alert rules (ops/prometheus/alerts.yml) as Prometheus reads them: promtool checks
// them and runs their unit tests (Debian's `prometheus` package brings promtool; .ci/run
// installs it). Each alert is tested, and each names a runbook section that exists.

const run = promisify(execFile);
const promtool = (...args: string[]) =>
  run('promtool', args, { cwd: dirname(ALERTS_FILE) }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT')
      throw new Error('promtool is not installed: apt-get install prometheus (Debian), as .ci/run does');
    throw error;
  });

describe('ops/prometheus/alerts.yml', () => {
  it('passes promtool check rules', async () => {
    const { stdout } = await promtool('check', 'rules', 'alerts.yml');
    expect(stdout).toContain('SUCCESS');
  });

  it('passes its promtool unit tests', async () => {
    const { stdout } = await promtool('test', 'rules', 'alerts.test.yml');
    expect(stdout).toContain('SUCCESS');
  });

  it('has a unit test that fires each alert', () => {
    const tests = parse(readFileSync(ALERTS_TEST_FILE, 'utf8')) as {
      tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
    };
    const fired = new Set(
      tests.tests.flatMap((test) =>
        (test.alert_rule_test ?? [])
          .filter((step) => step.exp_alerts.length > 0)
          .map((step) => step.alertname),
      ),
    );
    const alerts = rules().flatMap((rule) => (rule.alert ? [rule.alert] : []));
    expect(alerts.length).toBeGreaterThanOrEqual(8);
    expect(alerts.filter((alert) => !fired.has(alert))).toEqual([]);
  });

  it('links each alert to its own section of docs/runbook.md, with a severity', () => {
    const runbook = readFileSync(new URL('../../../docs/runbook.md', import.meta.url), 'utf8');
    // GitHub's anchors: the heading lower-cased, spaces to hyphens, punctuation dropped.
    const anchors = new Set(
      [...runbook.matchAll(/^#{2,4} (.+)$/gm)].map((heading) =>
        heading[1]!
          .toLowerCase()
          .replace(/[^\w\- ]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    for (const rule of rules().filter((candidate) => candidate.alert)) {
      const anchor = rule.annotations?.runbook?.replace('docs/runbook.md#', '');
      expect([rule.alert, anchor && anchors.has(anchor)]).toEqual([rule.alert, true]);
      expect([rule.alert, ['page', 'ticket'].includes(rule.labels?.severity ?? '')]).toEqual([
        rule.alert,
        true,
      ]);
    }
  });
});

describe('metricNamesIn', () => {
  it('finds the metrics a query reads, not its functions, labels or durations', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le, route) (rate(http_request_duration_seconds_bucket{route!~"/a|b"}[5m])))' +
          ' / on (service) group_left sum(rate(x:y:z[$__rate_interval])) > 300 or absent(up_total{a="b"})',
      ).sort(),
    ).toEqual(['http_request_duration_seconds_bucket', 'up_total', 'x:y:z']);
  });
});

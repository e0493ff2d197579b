import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Registry } from 'prom-client';
import { dashboardQueries, metricNamesIn, rules } from '../../support/alert-rules.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { startTestWorker } from '../../support/worker.js';

// Every query of the Grafana dashboard (ops/grafana) and every alert rule (ops/prometheus)
// reads series the service really exports: the names are taken from the API's and the
// worker's own registries, as /metrics renders them, or from a recording rule.

let app: TestApp;
let worker: Awaited<ReturnType<typeof startTestWorker>>;

beforeAll(async () => {
  app = await startTestApp();
  worker = await startTestWorker(app.config);
});
afterAll(async () => {
  await worker?.stop();
  await app?.close();
});

/** The sample names a registry exposes: a histogram's `_bucket`, `_sum` and `_count`. */
async function exposedNames(registry: Registry): Promise<string[]> {
  const metrics = await registry.getMetricsAsJSON();
  return metrics.flatMap(({ name, type }) =>
    String(type) === 'histogram' || String(type) === 'summary'
      ? [name, `${name}_bucket`, `${name}_sum`, `${name}_count`]
      : [name],
  );
}

describe('dashboard and alert queries', () => {
  it('name only metrics the API or the worker exports, or a recording rule', async () => {
    const exported = new Set([
      ...(await exposedNames(app.deps.metrics.registry)),
      ...(await exposedNames(worker.metrics.registry)),
      ...rules().flatMap((rule) => (rule.record ? [rule.record] : [])),
    ]);
    const queries = [
      ...dashboardQueries(),
      ...rules().map((rule) => ({ panel: `rule ${rule.alert ?? rule.record}`, expr: rule.expr })),
    ];
    expect(queries.length).toBeGreaterThan(20);
    const unknown = queries.flatMap(({ panel, expr }) =>
      metricNamesIn(expr)
        .filter((name) => !exported.has(name))
        .map((name) => `${panel}: ${name}`),
    );
    expect(unknown).toEqual([]);
    // Each query reads at least one series (none is left empty by a typo the filter hid).
    expect(queries.filter(({ expr }) => metricNamesIn(expr).length === 0)).toEqual([]);
  });

  it('cover every figure an alert pages on', () => {
    const onDashboard = new Set(dashboardQueries().flatMap(({ expr }) => metricNamesIn(expr)));
    const alerted = rules()
      .filter((rule) => rule.alert)
      .flatMap((rule) => metricNamesIn(rule.expr));
    expect(alerted.filter((name) => !onDashboard.has(name))).toEqual([]);
  });
});

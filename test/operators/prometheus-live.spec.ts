import { readFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { DATABASE_URL } from '../support/services.js';
import { startDemo, type RunningProcess } from './demo-process.js';
import { startPrometheus, type PrometheusAlert, type RunningPrometheus } from './prometheus-process.js';
import { root } from './rule-files.js';

const SCRAPE_SECONDS = 1;
const BREAKER_OPEN_FOR_SECONDS = 30; // the shipped `for:` of BallastBreakerOpen
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(200);
  }
}

/**
 * The shipped rules on a real Prometheus (Debian's package) scraping the demo as a process: quiet
 * while the demo is healthy, and the expected alerts once a fault is injected through the demo.
 */
describe('Prometheus scraping the demo, with the shipped rules', () => {
  let demo: RunningProcess;
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    demo = await startDemo({
      DATABASE_URL,
      REDIS_URL: '', // L1-only caches and a local breaker: no state shared with other test runs
      BALLAST_PERFORMANCE_API: 'true',
      BALLAST_TRACKER_MAX_LIFETIME_MS: '2000',
      BALLAST_TRACKER_SCAN_INTERVAL_MS: '500',
    });
    prometheus = await startPrometheus(new URL(demo.url).host, SCRAPE_SECONDS);
    await until('demo target up', 20_000, async () => {
      const up = await prometheus.query('up{job="demo"} == 1');
      const rules = await prometheus.query('ballast:process_heap_used:ratio');
      return up.length === 1 && rules.length === 1 ? true : undefined;
    });
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await demo?.stop();
  }, 30_000);

  it('raises no alert, pending or firing, while the demo is healthy and serving', async () => {
    const seen: PrometheusAlert[] = [];
    for (let i = 0; i < 8; i++) {
      for (const path of ['/tickets', '/upstream/resilient-quote', '/ticket-stats', '/health/ready']) {
        expect((await fetch(`${demo.url}${path}`)).status).toBe(200);
      }
      seen.push(...(await prometheus.alerts()));
      await sleep(1_000);
    }
    expect(seen.map((a) => `${a.labels.alertname} ${a.state} ${JSON.stringify(a.labels)}`)).toEqual([]);
  }, 30_000);

  it('evaluates every query of the Grafana dashboard without an error', async () => {
    const dashboard = JSON.parse(readFileSync(`${root}deploy/grafana/ballast-dashboard.json`, 'utf8')) as {
      panels: { title: string; targets?: { expr: string }[] }[];
    };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThan(30);
    const failures: string[] = [];
    for (const { panel, expr } of exprs) {
      // What Grafana substitutes: the variables set to "All" (.*), the rate interval.
      const promql = expr.replace(/\$(instance|pool|cache|breaker)\b/g, '.*').replace(/\$__rate_interval/g, '1m');
      await prometheus.query(promql).catch((error: Error) => failures.push(`${panel}: ${error.message}`));
    }
    expect(failures).toEqual([]);
  }, 30_000);

  it('fires BallastBreakerOpen within 2 scrape intervals + its for: once the upstream is unavailable', async () => {
    expect((await fetch(`${demo.url}/upstream/mode?mode=unavailable`, { method: 'POST' })).status).toBe(200);
    let calling = true;
    const calls = (async () => {
      while (calling) {
        await fetch(`${demo.url}/upstream/resilient-quote`).then((r) => r.arrayBuffer());
        await sleep(100);
      }
    })();
    try {
      const openedAt = await until('the demo reports its breaker open', 15_000, async () => {
        const text = await (await fetch(`${demo.url}/metrics`)).text();
        return /^ballast_circuit_breaker_state\{breaker="upstream",state="open"\} 1$/m.test(text)
          ? Date.now()
          : undefined;
      });
      const breakerAlert = async (state: PrometheusAlert['state']) =>
        (await prometheus.alerts()).find(
          (a) => a.labels.alertname === 'BallastBreakerOpen' && a.labels.breaker === 'upstream' && a.state === state,
        );
      await until('BallastBreakerOpen pending', 3 * SCRAPE_SECONDS * 1_000, () => breakerAlert('pending'));
      const budgetMs = (2 * SCRAPE_SECONDS + BREAKER_OPEN_FOR_SECONDS) * 1_000;
      // + one evaluation interval of slack: Prometheus evaluates on its own clock, not on our scrape.
      const firing = await until('BallastBreakerOpen firing', budgetMs + SCRAPE_SECONDS * 1_000, () =>
        breakerAlert('firing'),
      );
      expect(firing.labels.severity).toBe('warning');
      expect(Date.now() - openedAt).toBeLessThanOrEqual(budgetMs + SCRAPE_SECONDS * 1_000);
    } finally {
      calling = false;
      await calls;
      await fetch(`${demo.url}/upstream/mode?mode=ok`, { method: 'POST' });
    }
  }, 90_000);

  it('fires BallastResourceLeakDetected, naming the type, once the demo leaks', async () => {
    const leaked = await fetch(`${demo.url}/demo/leaks?kind=object&count=2&mode=hold`, { method: 'POST' });
    expect(leaked.status).toBe(201);
    try {
      const alert = await until('BallastResourceLeakDetected firing', 20_000, async () =>
        (await prometheus.alerts()).find(
          (a) => a.labels.alertname === 'BallastResourceLeakDetected' && a.state === 'firing',
        ),
      );
      expect(alert.labels).toMatchObject({ type: 'demo-object', severity: 'info', job: 'demo' });
    } finally {
      await fetch(`${demo.url}/demo/leaks`, { method: 'DELETE' });
    }
  }, 40_000);
});

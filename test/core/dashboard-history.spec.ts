import { afterEach, describe, expect, it } from '@jest/globals';
import {
  BallastCoreModule,
  type BallastCoreModuleOptions,
  coreOptions,
  counterOf,
  gaugeOf,
  healthy,
  METRICS_REGISTRY,
  MetricsReporterService,
  type MetricsRegistry,
  PerformanceHistoryService,
  ReporterRegistry,
} from '@ballast/core';
import { expectNoNewHandles, snapshotHandles } from '@ballast/core/testing';
import type { INestApplication, LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';

const TOKEN = 'a-long-admin-token-for-tests';

class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown, context?: string) {
    this.lines.push(`${context ?? ''} ${String(message)}`);
  }
  error() {}
  warn(message: unknown) {
    this.lines.push(`WARN ${String(message)}`);
  }
}

describe('history, dashboard and metrics reporter', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function start(options: BallastCoreModuleOptions, logger: LoggerService | false = false) {
    const moduleRef = await Test.createTestingModule({ imports: [BallastCoreModule.forRoot(options)] }).compile();
    app = moduleRef.createNestApplication({ logger });
    // A reporter and a breaker-state family registered before bootstrap, as modules do.
    let used = 3;
    app.get(ReporterRegistry).register({
      name: 'main',
      kind: 'pool',
      report: () => ({
        metrics: { used: used++, max: 10, utilisation: 0.3, policy: 'fifo', draining: false },
        efficiencyScore: 80,
        health: healthy(),
        recommendations: [],
      }),
    });
    const registry = app.get<MetricsRegistry>(METRICS_REGISTRY);
    const state = gaugeOf(registry, {
      name: 'ballast_circuit_breaker_state',
      help: 'h',
      labelNames: ['breaker', 'state'],
    });
    state.set({ breaker: 'upstream', state: 'closed' }, 0);
    state.set({ breaker: 'upstream', state: 'open' }, 1);
    await app.init();
    return { app, registry, history: app.get(PerformanceHistoryService) };
  }

  it('samples reporters, breaker states and the process into the history, behind the API guard', async () => {
    const { app: started, history } = await start({ performanceApi: { enabled: true, adminToken: TOKEN } });
    await history.sample();
    const server = started.getHttpServer();
    await request(server).get('/api/performance/history').expect(401);
    const res = await request(server)
      .get('/api/performance/history')
      .set('Authorization', `Bearer ${TOKEN}`)
      .expect(200);
    expect(res.body).toMatchObject({ interval_ms: 5_000, capacity: 180, dropped_series: 0 });
    expect(res.body.samples).toBeGreaterThanOrEqual(2); // one at bootstrap, one just now
    expect(res.body.t).toHaveLength(res.body.samples);
    const series = res.body.series as Record<string, (number | null)[]>;
    expect(series['pool/main/used']!.slice(-2)).toEqual([3, 4]);
    expect(series['pool/main/draining']!.at(-1)).toBe(0);
    expect(series['pool/main/health']!.at(-1)).toBe(0);
    expect(series['pool/main/score']!.at(-1)).toBe(80);
    expect(series['pool/main/policy']).toBeUndefined(); // strings are not charted
    expect(series['breaker-state/upstream']!.at(-1)).toBe(2); // open
    expect(series['process/rss_bytes']!.at(-1)).toBeGreaterThan(1e6);
    expect(series['process/heap_used_bytes']!.at(-1)).toBeGreaterThan(1e5);
    expect(res.body.bytes).toBe(8 * 180 * (Object.keys(series).length + 1));

    const last = res.body.t.at(-1) as number;
    const later = await request(server)
      .get(`/api/performance/history?since=${last}`)
      .set('Authorization', `Bearer ${TOKEN}`)
      .expect(200);
    expect(later.body.t).toEqual([]);
    const bad = await request(server)
      .get('/api/performance/history?since=yesterday')
      .set('Authorization', `Bearer ${TOKEN}`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/since must be a time in epoch milliseconds/);
  });

  it('serves the dashboard page and uPlot from the package when enabled, without the token', async () => {
    const server = (
      await start({ performanceApi: { enabled: true, adminToken: TOKEN }, dashboard: { enabled: true } })
    ).app.getHttpServer();
    const page = await request(server).get('/api/performance/dashboard').expect(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.text).toContain('<script src="dashboard/uplot.js"></script>');
    expect(page.text).toContain('"id":"breaker-states"');
    const uplot = await request(server).get('/api/performance/dashboard/uplot.js').expect(200);
    expect(uplot.headers['content-type']).toContain('text/javascript');
    expect(uplot.text).toContain('uPlot');
    expect((await request(server).get('/api/performance/dashboard/uplot.css').expect(200)).text).toContain('.uplot');
    const script = await request(server).get('/api/performance/dashboard/app.js').expect(200);
    expect(script.text).toContain("api('history')");
  });

  it('answers 404 for the dashboard while it is off', async () => {
    const server = (await start({ performanceApi: { enabled: true } })).app.getHttpServer();
    await request(server).get('/api/performance/dashboard').expect(404);
    await request(server).get('/api/performance/dashboard/uplot.js').expect(404);
  });

  it('stops start-up when the dashboard is on without the performance API, or the history is shorter than a sample', () => {
    expect(() => coreOptions.parse({ dashboard: { enabled: true } })).toThrow(
      /dashboard\.enabled.*needs performanceApi\.enabled/s,
    );
    expect(() => coreOptions.parse({ history: { intervalMs: 120_000, retentionMs: 60_000 } })).toThrow(
      /history\.retentionMs.*must be at least history\.intervalMs/s,
    );
    expect(() => coreOptions.parse({ metricsReporter: { intervalMs: 10 } })).toThrow(/metricsReporter\.intervalMs/);
  });

  it('logs one JSON line of rates per interval when the reporter is on, and answers the same figures at /rates', async () => {
    const before = snapshotHandles();
    const logger = new CapturingLogger();
    const { app: started, registry } = await start(
      { performanceApi: { enabled: true }, metricsReporter: { enabled: true, intervalMs: 1_000 } },
      logger,
    );
    const requests = counterOf(registry, { name: 'ballast_cache_requests_total', help: 'h', labelNames: ['result'] });
    requests.inc({ result: 'hit' }, 3);
    requests.inc({ result: 'miss' }, 1);
    const snapshot = await request(started.getHttpServer()).get('/api/performance/rates').expect(200);
    expect(snapshot.body).toMatchObject({ cache_hit_rate: 0.75, pool_success_rate: null });

    const lines = () => logger.lines.filter((l) => l.includes('"event":"ballast.metrics"'));
    const deadline = Date.now() + 5_000;
    while (lines().length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(lines().length).toBeGreaterThanOrEqual(1);
    const line = lines()[0]!;
    expect(line.startsWith('BallastMetricsReporter {')).toBe(true);
    const figures = JSON.parse(line.slice(line.indexOf('{')));
    expect(figures).toMatchObject({ cache_hit_rate: 0.75, cache_lookups_per_s: expect.any(Number) });
    expect(figures.rss_bytes).toBeGreaterThan(1e6);
    expect(figures.interval_s).toBeGreaterThan(0.5);
    // The next interval starts from that line: nothing more happened since.
    expect(await started.get(MetricsReporterService).snapshot()).toMatchObject({ cache_hit_rate: null });
    await started.close();
    app = undefined;
    await expectNoNewHandles(before);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { expectNoNewHandles, snapshotHandles, type HandleSnapshot } from '@ballast/core/testing';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';

import { AppModule } from '../../apps/demo/src/app.module.js';

describe('demo app', () => {
  let app: INestApplication;
  let snapshot: HandleSnapshot;

  beforeAll(async () => {
    snapshot = snapshotHandles();
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await app.close();
    await expectNoNewHandles(snapshot);
  });

  it('is ready', async () => {
    const res = await request(app.getHttpServer()).get('/health/ready').expect(200);
    expect(res.body.status).toBe('ok');
  });

  it('is live without checking dependencies', async () => {
    const res = await request(app.getHttpServer()).get('/health/live').expect(200);
    expect(res.body.details.heap.status).toBe('up');
  });

  it('serves Prometheus metrics', async () => {
    const res = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(res.text).toContain('process_cpu_user_seconds_total');
  });

  it('leads / and /dashboard to the dashboard core serves, with its charts and the history it reads', async () => {
    const server = app.getHttpServer();
    await request(server).get('/').expect(302).expect('Location', 'api/performance/dashboard');
    await request(server).get('/dashboard').expect(302).expect('Location', 'api/performance/dashboard');
    const res = await request(server).get('/api/performance/dashboard').expect(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.text).toContain('dashboard/uplot.js');
    const history = await request(server).get('/api/performance/history').expect(200);
    expect(history.body.samples).toBeGreaterThanOrEqual(1);
    expect(Object.keys(history.body.series)).toEqual(
      expect.arrayContaining(['pool/database:main/utilisation', 'cache/default/hit_rate', 'process/rss_bytes']),
    );
  });

  it('leaks on demand, and the tracker reports it with the owner, then retracts it once closed', async () => {
    const server = app.getHttpServer();
    await request(server).post('/demo/leaks?kind=nonsense').expect(400);
    await request(server).post('/demo/leaks?count=0').expect(400);
    const leaked = await request(server).post('/demo/leaks?kind=object&count=3&mode=hold').expect(201);
    expect(leaked.body).toMatchObject({ kind: 'object', count: 3, held: 3, tracking: true });
    await request(server).post('/demo/leaks?kind=file&count=2&mode=hold').expect(201);

    const ours = (body: { leaks: { owner?: string; type: string }[] }) =>
      body.leaks.filter((l) => l.owner === 'LeakDemoController');
    const before = await request(server).get('/api/performance/resources/leaks?max_lifetime_seconds=0').expect(200);
    expect(before.body.tracking).toBe(true);
    expect(ours(before.body).filter((l) => l.type === 'demo-object')).toHaveLength(3);
    expect(ours(before.body).filter((l) => l.type !== 'demo-object')).toHaveLength(2);
    const stats = await request(server).get('/api/performance/resources/stats').expect(200);
    expect(stats.body.resources).toHaveLength(1);

    expect((await request(server).delete('/demo/leaks').expect(200)).body).toEqual({ closed: 5 });
    const after = await request(server).get('/api/performance/resources/leaks?max_lifetime_seconds=0').expect(200);
    expect(ours(after.body)).toEqual([]);
  });

  it('predicts through the model cache, validating the input', async () => {
    const server = app.getHttpServer();
    const models = await request(server).get('/models').expect(200);
    expect(models.body.models.map((m: { name: string }) => m.name)).toEqual(['sentiment', 'ranker']);
    const row = Array.from({ length: 16 }, (_, i) => i / 16);
    const first = await request(server)
      .post('/models/sentiment/predict')
      .send({ input: [row, row] })
      .expect(201);
    expect(first.body.output).toHaveLength(2);
    expect(first.body.output[0]).toHaveLength(3);
    expect(first.body.output[1]).toEqual(first.body.output[0]);
    await request(server)
      .post('/models/nope/predict')
      .send({ input: [row] })
      .expect(404);
    const bad = await request(server)
      .post('/models/sentiment/predict')
      .send({ input: [[1, 2]] })
      .expect(400);
    expect(bad.body.message).toContain('input[0] must be 16 finite numbers');
    const report = await request(server).get('/api/performance/report').expect(200);
    expect(report.body.sections.models).toHaveLength(1);
  });

  it('keeps tickets in the embedded database, paginated and validated', async () => {
    const server = app.getHttpServer();
    const created = [];
    for (const [i, status] of (['open', 'open', 'closed'] as const).entries()) {
      const res = await request(server)
        .post('/tickets')
        .send({ title: `ticket ${i}`, status, priority: i + 1 })
        .expect(201);
      created.push(res.body);
    }
    await request(server).post('/tickets').send({ title: '' }).expect(400);
    await request(server).post('/tickets').send({ title: 'x', colour: 'red' }).expect(400);
    const page = await request(server).get('/tickets?page=1&size=2').expect(200);
    expect(page.body).toMatchObject({ page: 1, size: 2, total: 3, totalPages: 2 });
    expect(page.body.items.map((t: { title: string }) => t.title)).toEqual(['ticket 2', 'ticket 1']);
    await request(server).get('/tickets?size=1000').expect(400);
    await request(server).patch(`/tickets/${created[0].id}`).send({ status: 'in_progress' }).expect(200);
    await request(server).get('/tickets/999999').expect(404);
    await request(server).delete(`/tickets/${created[1].id}`).expect(204);
  });

  it('serves ticket statistics from the cache, loading once for concurrent callers', async () => {
    const server = app.getHttpServer();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => request(server).get('/ticket-stats').expect(200)),
    );
    expect(new Set(results.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(results[0]!.body).toMatchObject({ total: 2, byStatus: { in_progress: 1, closed: 1 } });
    const caches = await request(server).get('/api/performance/cache/metrics').expect(200);
    const stats = caches.body.caches.find((c: { name: string }) => c.name === 'ticket-stats');
    expect(stats).toBeDefined();
    // A write evicts the statistics, so the next read sees it.
    await request(server).post('/tickets').send({ title: 'another' }).expect(201);
    expect((await request(server).get('/ticket-stats').expect(200)).body.total).toBe(3);
  });

  it('calls the upstream through its HTTP pool, and reports the pools', async () => {
    const server = app.getHttpServer();
    const quote = await request(server).get('/upstream/quote').expect(200);
    expect(quote.body.upstream).toMatchObject({ currency: 'EUR' });
    const ready = await request(server).get('/health/ready').expect(200);
    expect(Object.keys(ready.body.details)).toEqual(expect.arrayContaining(['database:main', 'http:upstream']));
    const pools = await request(server).get('/api/performance/pools/metrics').expect(200);
    expect(pools.body.pools.length).toBeGreaterThanOrEqual(2);
  });

  it('keeps answering the resilient quote while the upstream fails, and opens the breaker', async () => {
    const server = app.getHttpServer();
    const fresh = await request(server).get('/upstream/resilient-quote').expect(200);
    expect(fresh.body).toMatchObject({ currency: 'EUR' });
    expect(fresh.body.stale).toBeUndefined();
    await request(server).post('/upstream/mode?mode=broken').expect(400);
    await request(server).post('/upstream/mode?mode=unavailable').expect(200);
    try {
      for (let i = 0; i < 6; i++) {
        const res = await request(server).get('/upstream/resilient-quote').expect(200);
        expect(res.body).toMatchObject({ currency: 'EUR', rate: fresh.body.rate, stale: true });
      }
      await request(server).get('/upstream/quote').expect(502);
      const report = await request(server).get('/api/performance/report').expect(200);
      const [breakers] = report.body.sections.breakers;
      expect(breakers.metrics).toMatchObject({ open: 1 });
      expect(breakers.metrics.fallbacks).toBeGreaterThanOrEqual(6);
      expect(breakers.metrics.shortCircuited).toBeGreaterThan(0);
      const ready = await request(server).get('/health/ready').expect(200);
      expect(ready.body.status).toBe('degraded');
    } finally {
      await request(server).post('/upstream/mode?mode=ok').expect(200);
    }
  });

  it('serves the performance report', async () => {
    const res = await request(app.getHttpServer()).get('/api/performance/report').expect(200);
    expect(res.body.overall_health).toMatch(/^(healthy|degraded|unhealthy)$/);
    expect(res.body.sections).toHaveProperty('pools');
  });
});

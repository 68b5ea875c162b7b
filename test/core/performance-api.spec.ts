import { afterEach, describe, expect, it } from '@jest/globals';
import {
  BallastCoreModule,
  type BallastCoreModuleOptions,
  PageQueryPipe,
  type PageQuery,
  ReporterRegistry,
  RESOURCE_REGISTRY,
  type ResourceRegistryHolder,
  degraded,
} from '@ballast/core';
import { Controller, Get, Injectable, Module, Query, type CanActivate, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';

@Controller('items')
class ItemsController {
  @Get()
  list(@Query(PageQueryPipe) page: PageQuery) {
    return page;
  }
}

@Module({ controllers: [ItemsController] })
class ItemsModule {}

@Injectable()
class HeaderGuard implements CanActivate {
  canActivate(context: Parameters<CanActivate['canActivate']>[0]): boolean {
    return context.switchToHttp().getRequest().headers['x-ops'] === 'yes';
  }
}

const TOKEN = 'a-long-admin-token-for-tests';

describe('performance API', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function start(options: BallastCoreModuleOptions): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [BallastCoreModule.forRoot(options), ItemsModule],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return app;
  }

  function registerPoolReporter(target: INestApplication): void {
    target.get(ReporterRegistry).register({
      name: 'main',
      kind: 'pool',
      report: () => ({
        metrics: { size: 10, used: 9, connectionString: 'postgres://u:pw@db/x' },
        efficiencyScore: 72,
        health: degraded('utilisation 90%', { waiting: 3 }),
        recommendations: [
          {
            severity: 'warning',
            message: 'utilisation 90% for 5 min: raise max from 10 to 15',
            evidence: { utilisation: 0.9 },
            setting: { name: 'max', current: 10, suggested: 15 },
          },
        ],
      }),
    });
  }

  it('serves Prometheus metrics with the default Node metrics', async () => {
    const server = (await start({})).getHttpServer();
    const res = await request(server).get('/metrics').expect(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.text).toContain('process_cpu_user_seconds_total');
  });

  it('moves /metrics and applies the prefix when configured, and can turn it off', async () => {
    let server = (await start({ metrics: { path: '/internal/metrics', prefix: 'svc_' } })).getHttpServer();
    const res = await request(server).get('/internal/metrics').expect(200);
    expect(res.text).toContain('svc_process_cpu_user_seconds_total');
    await request(server).get('/metrics').expect(404);
    await app!.close();
    server = (await start({ metrics: { enabled: false } })).getHttpServer();
    await request(server).get('/metrics').expect(404);
  });

  it('is 404 until enabled', async () => {
    const server = (await start({})).getHttpServer();
    await request(server).get('/api/performance/report').expect(404);
  });

  it('reports registered reporters, grouped, redacted, with overall health', async () => {
    const target = await start({ performanceApi: { enabled: true } });
    registerPoolReporter(target);
    const res = await request(target.getHttpServer()).get('/api/performance/report').expect(200);
    expect(res.body.overall_health).toBe('degraded');
    expect(res.body.efficiency_score).toBe(72);
    expect(res.body.sections.caches).toEqual([]);
    expect(res.body.sections.pools).toHaveLength(1);
    expect(res.body.sections.pools[0].metrics.connectionString).toBe('[REDACTED]');
    expect(JSON.stringify(res.body)).not.toContain(':pw@');
    expect(res.body.recommendations[0]).toMatchObject({ component: 'main', kind: 'pool', severity: 'warning' });

    const pools = await request(target.getHttpServer()).get('/api/performance/pools/metrics').expect(200);
    expect(pools.body.pools[0]).toMatchObject({ name: 'main', health: 'degraded', efficiency_score: 72 });
    const recs = await request(target.getHttpServer()).get('/api/performance/pools/recommendations').expect(200);
    expect(recs.body.recommendations[0].setting).toEqual({ name: 'max', current: 10, suggested: 15 });
    const caches = await request(target.getHttpServer()).get('/api/performance/cache/metrics').expect(200);
    expect(caches.body).toEqual({ caches: [] });
  });

  it('answers healthy with empty sections when no module reports', async () => {
    const server = (await start({ performanceApi: { enabled: true } })).getHttpServer();
    const res = await request(server).get('/api/performance/health').expect(200);
    expect(res.body).toEqual({ overall_health: 'healthy', components: [] });
    const stats = await request(server).get('/api/performance/resources/stats').expect(200);
    expect(stats.body).toEqual({ tracking: false, resources: [] });
  });

  it('marks a reporter that throws as unhealthy instead of failing the report', async () => {
    const target = await start({ performanceApi: { enabled: true } });
    target.get(ReporterRegistry).register({
      name: 'broken',
      kind: 'cache',
      report: () => {
        throw new Error('boom with redis://:pw@host');
      },
    });
    const res = await request(target.getHttpServer()).get('/api/performance/report').expect(200);
    expect(res.body.overall_health).toBe('unhealthy');
    expect(res.body.sections.caches[0].health.reason).toContain('boom');
    expect(res.body.sections.caches[0].health.reason).not.toContain(':pw@');
  });

  it('requires the bearer token when one is set', async () => {
    const server = (await start({ performanceApi: { enabled: true, adminToken: TOKEN } })).getHttpServer();
    await request(server).get('/api/performance/report').expect(401);
    await request(server).get('/api/performance/report').set('Authorization', 'Bearer wrong-token').expect(401);
    await request(server).get('/api/performance/report').set('Authorization', `Bearer ${TOKEN}`).expect(200);
  });

  it("uses the app's own guard when given", async () => {
    const server = (await start({ performanceApi: { enabled: true, guard: HeaderGuard } })).getHttpServer();
    await request(server).get('/api/performance/health').expect(403);
    await request(server).get('/api/performance/health').set('x-ops', 'yes').expect(200);
  });

  it('validates max_lifetime_seconds', async () => {
    const server = (await start({ performanceApi: { enabled: true } })).getHttpServer();
    for (const bad of ['-5', 'abc', '1e3', '']) {
      if (bad === '') continue;
      const res = await request(server).get(`/api/performance/resources/leaks?max_lifetime_seconds=${bad}`).expect(400);
      expect(res.body.message).toContain('max_lifetime_seconds');
    }
    const ok = await request(server).get('/api/performance/resources/leaks?max_lifetime_seconds=30').expect(200);
    expect(ok.body).toEqual({ tracking: false, max_lifetime_seconds: 30, count: 0, leaks: [] });
  });

  it('passes the lifetime to the installed resource registry', async () => {
    const target = await start({ performanceApi: { enabled: true } });
    const seen: unknown[] = [];
    target.get<ResourceRegistryHolder>(RESOURCE_REGISTRY).install({
      tracking: true,
      register: () => ({ id: '1', release: () => undefined, annotate: () => undefined }),
      detectLeaks: (query) => {
        seen.push(query);
        return [
          {
            id: '1',
            type: 'socket',
            ageMs: 90_000,
            reason: 'held-too-long',
            createdAt: 'x',
            details: { password: 'p' },
          },
        ];
      },
    });
    const res = await request(target.getHttpServer()).get('/api/performance/resources/leaks?max_lifetime_seconds=60');
    expect(seen).toEqual([{ maxLifetimeMs: 60_000 }]);
    expect(res.body.count).toBe(1);
    expect(res.body.leaks[0].details.password).toBe('[REDACTED]');
  });

  it('validates page queries, rejecting sizes over the maximum by default', async () => {
    const server = (await start({ pagination: { defaultPageSize: 10, maxPageSize: 50 } })).getHttpServer();
    expect((await request(server).get('/items').expect(200)).body).toEqual({ page: 1, size: 10, offset: 0 });
    expect((await request(server).get('/items?page=3&size=20').expect(200)).body).toEqual({
      page: 3,
      size: 20,
      offset: 40,
    });
    for (const bad of ['page=0', 'page=-1', 'page=abc', 'size=0', 'size=51', 'size=2.5']) {
      const res = await request(server).get(`/items?${bad}`).expect(400);
      expect(res.body.message).toMatch(/page|size/);
    }
  });

  it('clamps page sizes when configured', async () => {
    const server = (await start({ pagination: { maxPageSize: 50, overflow: 'clamp' } })).getHttpServer();
    expect((await request(server).get('/items?size=500').expect(200)).body).toEqual({ page: 1, size: 50, offset: 0 });
  });
});

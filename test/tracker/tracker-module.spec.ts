import fs from 'node:fs';

import { afterEach, describe, expect, it } from '@jest/globals';
import { BallastCoreModule, HealthContributorRegistry, RESOURCE_REGISTRY, type ResourceRegistry } from '@ballast/core';
import { expectNoOpenHandlesAfter } from '@ballast/core/testing';
import {
  RESOURCE_TRACKER,
  ResourceOwnerInterceptor,
  ResourceTrackerModule,
  ResourceTrackerService,
  trackerOptions,
  tracked,
  type ResourceTracker,
} from '@ballast/tracker';
import { expectNoLeakedResources, LeakedResourcesError } from '@ballast/tracker/testing';
import { Controller, Get, Inject, UseInterceptors, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import pg from 'pg';
import request from 'supertest';

import { DATABASE_URL } from '../support/services.js';
import { startTrackerApp } from './tracker-test.app.js';

@UseInterceptors(ResourceOwnerInterceptor)
@Controller('exports')
class ExportController {
  constructor(@Inject(RESOURCE_TRACKER) private readonly tracker: ResourceTracker) {}

  /** Opens after an await, as a handler does after a query: only an async context can see the owner. */
  @Get()
  async start(): Promise<{ id: string }> {
    await new Promise((resolve) => setImmediate(resolve));
    // Recorded by the FileHandle signal, which names no owner of its own.
    const file = await fs.promises.open(new URL(import.meta.url).pathname, 'r');
    const cursor = tracked(
      { rows: [] as number[] },
      { type: 'cursor', registry: this.tracker, close: () => undefined },
    );
    openedByRequests.push(
      () => file.close(),
      () => cursor.close(),
    );
    return { id: cursor.id };
  }
}
const openedByRequests: Array<() => Promise<void>> = [];

describe('ResourceTrackerModule', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('installs itself behind RESOURCE_REGISTRY and serves leaks, stats, metrics and health', async () => {
    app = await startTrackerApp({ leaks: { maxLifetimeMs: 60_000 }, stacks: { sampling: 'all' } });
    const registry = app.get<ResourceRegistry>(RESOURCE_REGISTRY);
    expect(registry.tracking).toBe(true);
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      registry.register(client, {
        type: 'db-connection',
        owner: 'OrdersRepository',
        details: { url: DATABASE_URL.replace('postgres@', 'postgres:hunter2@') },
      });
      await new Promise((resolve) => setTimeout(resolve, 30));
      const server = app.getHttpServer();

      const leaks = await request(server).get('/api/performance/resources/leaks?max_lifetime_seconds=0').expect(200);
      // The connection as registered by its owner, and its TCP socket as seen by the socket signal
      // (Node 24 also reports the test client's own HTTP socket, so the count is a floor).
      expect(leaks.body.tracking).toBe(true);
      expect(leaks.body.count).toBeGreaterThanOrEqual(2);
      expect(leaks.body.leaks.filter((l: { type: string }) => l.type === 'db-connection')).toHaveLength(1);
      expect(leaks.body.leaks).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ type: 'db-connection', owner: 'OrdersRepository', reason: 'held-too-long' }),
          expect.objectContaining({ type: 'socket', reason: 'held-too-long' }),
        ]),
      );
      expect(JSON.stringify(leaks.body)).not.toContain('hunter2');

      // A scan with a limit the connection is past: counted, reported, degraded.
      const tracker = app.get<ResourceTracker>(RESOURCE_TRACKER);
      tracker.setLimit({ owner: 'OrdersRepository', maxLifetimeMs: 1 });
      expect(app.get(ResourceTrackerService).scan()).toBe(1);

      const stats = await request(server).get('/api/performance/resources/stats').expect(200);
      const [report] = stats.body.resources;
      expect(report.metrics['open.db-connection']).toBe(1);
      expect(report.recommendations[0].message).toMatch(
        /1 db-connection of OrdersRepository created at .*tracker-module\.spec/,
      );

      const metrics = await request(server).get('/metrics').expect(200);
      expect(metrics.text).toMatch(/ballast_resources\{type="db-connection"\} 1/);
      expect(metrics.text).toMatch(/ballast_resource_leaks_total\{type="db-connection",reason="held-too-long"\} 1/);

      const [check] = app.get(HealthContributorRegistry).checks('readiness');
      expect(await check!()).toMatchObject({ resources: { status: 'degraded' } });
    } finally {
      await client.end();
    }
  });

  it('counts a retraction when a reported resource is released', async () => {
    app = await startTrackerApp({ leaks: { maxLifetimeMs: 1 } });
    const resource = {};
    const handle = app.get<ResourceRegistry>(RESOURCE_REGISTRY).register(resource, { type: 'lock', owner: 'Jobs' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    app.get(ResourceTrackerService).scan();
    handle.release();
    const metrics = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/ballast_resource_leak_retractions_total\{type="lock"\} 1/);
    expect(app.get<ResourceTracker>(RESOURCE_TRACKER).audit.query({ kind: 'retract' })[0]!.message).toMatch(
      /^released after \d+ ms$/,
    );
  });

  it('turns a forecast exhaustion into a degraded health and a critical recommendation', async () => {
    app = await startTrackerApp({ forecast: { limits: { 'db-connection': 50 }, horizonMs: 30 * 60_000 } });
    const service = app.get(ResourceTrackerService);
    // Time compressed: one sample per 10 s, one connection more each time, none closed.
    const t0 = Date.now() - 20 * 10_000;
    for (let i = 0; i < 20; i++) service.forecaster.record('db-connection', t0 + i * 10_000, 10 + i);
    expect(service.healthSnapshot()).toMatchObject({
      status: 'degraded',
      reason: expect.stringMatching(/db-connection would reach its limit 50 in \d+ min \(now 29\)/),
    });
    const stats = await request(app.getHttpServer()).get('/api/performance/resources/stats').expect(200);
    expect(stats.body.resources[0].recommendations).toEqual([
      expect.objectContaining({
        severity: 'critical',
        message: expect.stringMatching(/^db-connection grows 0\.10\/s/),
      }),
    ]);
    expect(service.forecasts()).toEqual([expect.objectContaining({ type: 'db-connection', alert: true, count: 29 })]);
  });

  it('stops start-up on a bad option and on a dependency cycle, naming them', async () => {
    await expect(startTrackerApp({ scan: { intervalMs: 5 } })).rejects.toThrow(
      /ResourceTrackerModule.*scan\.intervalMs/s,
    );
    await expect(startTrackerApp({ stacks: { sampling: 'some' as never } })).rejects.toThrow(/stacks\.sampling/);
    await expect(startTrackerApp({ dependencies: { api: ['db'], db: ['secrets'], secrets: ['api'] } })).rejects.toThrow(
      /dependency cycle (api|db|secrets) -> .* -> .*/,
    );
  });

  it('reads its options from the environment', () => {
    const env = new Map([
      ['BALLAST_TRACKER_LEVEL', 'debug'],
      ['BALLAST_TRACKER_STACK_SAMPLING', '25'],
      ['BALLAST_TRACKER_TYPES', 'socket,fd'],
    ]);
    const options = trackerOptions.parse(trackerOptions.fromEnv({ get: (name) => env.get(name) }));
    expect(options).toMatchObject({ level: 'debug', stacks: { sampling: 25 }, types: ['socket', 'fd'] });
  });

  it('tears down registered resources in reverse dependency order on close', async () => {
    app = await startTrackerApp({ dependencies: { 'orders-repo': ['db-pool'], 'db-pool': ['socket-server'] } });
    const closed: string[] = [];
    const service = app.get(ResourceTrackerService);
    for (const name of ['socket-server', 'orders-repo', 'db-pool'])
      service.closeOnShutdown(name, () => closed.push(name));
    await app.close();
    app = undefined;
    expect(closed).toEqual(['orders-repo', 'db-pool', 'socket-server']);
  });

  it('leaves no handle and no wrapper behind after app.close()', async () => {
    const originalOpen = fs.promises.open;
    const originalSetInterval = globalThis.setInterval;
    await expectNoOpenHandlesAfter(async () => {
      const started = await startTrackerApp({
        level: 'debug',
        scan: { intervalMs: 100 },
        signals: { pollIntervalMs: 100 },
      });
      const file = await fs.promises.open(new URL(import.meta.url).pathname, 'r');
      await file.close();
      await request(started.getHttpServer()).get('/api/performance/resources/stats').expect(200);
      await new Promise((resolve) => setTimeout(resolve, 250));
      await started.close();
    });
    expect(fs.promises.open).toBe(originalOpen);
    expect(globalThis.setInterval).toBe(originalSetInterval);
  });

  it('attributes what a handler opens after its awaits to Controller.handler with ResourceOwnerInterceptor', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [BallastCoreModule.forRoot({ metrics: { defaultMetrics: false } }), ResourceTrackerModule.forRoot({})],
      controllers: [ExportController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const tracker = app.get<ResourceTracker>(RESOURCE_TRACKER);
    const response = await request(app.getHttpServer()).get('/exports').expect(200);
    const opened = tracker.list({ owner: 'ExportController.start' });
    expect(opened.map((r) => r.type).sort()).toEqual(['cursor', 'file-handle']);
    expect(opened.map((r) => r.id)).toContain(response.body.id);
    // Outside a request, nothing is attributed to it.
    const outside = tracked({}, { type: 'cursor', registry: tracker, close: () => undefined });
    expect(tracker.list({ owner: 'ExportController.start' })).toHaveLength(2);
    await outside.close();
    for (const close of openedByRequests.splice(0)) await close();
    expect(tracker.list({ owner: 'ExportController.start' })).toEqual([]);
  });

  it('gives users a goleak-style check that lists leftovers with their creation site', async () => {
    app = await startTrackerApp({ stacks: { sampling: 'all' } });
    const tracker = app.get<ResourceTracker>(RESOURCE_TRACKER);
    const clean = await fs.promises.open(new URL(import.meta.url).pathname, 'r');
    await clean.close();
    const left = await tracker.runAs('ExportService', () => fs.promises.open(new URL(import.meta.url).pathname, 'r'));
    const user = tracked({ rows: [] as number[] }, { type: 'cursor', owner: 'ExportService', close: () => undefined });
    await app.close();
    app = undefined;
    const failure = await expectNoLeakedResources(tracker, { settleMs: 50 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(LeakedResourcesError);
    expect((failure as Error).message).toMatch(/2 tracked resource\(s\) still open/);
    expect((failure as Error).message).toMatch(
      /file-handle#\d+ \(file-handle\) of ExportService, open \d+ ms, created at/,
    );
    expect((failure as Error).message).toMatch(/cursor#\d+ \(cursor\) of ExportService.*tracker-module\.spec/);
    await left.close();
    await user.close();
    await expectNoLeakedResources(tracker);
  });
});

import diagnostics from 'node:diagnostics_channel';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { BallastCoreModule, HealthContributorRegistry } from '@ballast/core';
import { expectNoNewHandles, snapshotHandles } from '@ballast/core/testing';
import { PoolModule, PoolRegistry, type PoolModuleOptions } from '@ballast/pool';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { fetch } from 'undici';

/** A local upstream that counts the sockets it is given and how many requests run at once. */
class Upstream {
  readonly sockets = new Set<Socket>();
  connections = 0;
  inFlight = 0;
  peakInFlight = 0;
  status = 200;
  private readonly timers = new Set<NodeJS.Timeout>();
  private server!: Server;
  origin = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.inFlight++;
      this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
      const delay = req.url?.startsWith('/slow') ? 3_000 : 2;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.inFlight--;
        res.writeHead(req.url === '/health' ? this.status : 200, { 'content-type': 'text/plain' });
        res.end(req.url);
      }, delay);
      this.timers.add(timer);
    });
    this.server.on('connection', (socket: Socket) => {
      this.connections++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const upstream = new Upstream();
let app: INestApplication | undefined;

beforeAll(() => upstream.start());
afterAll(() => upstream.stop());
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start(http: PoolModuleOptions['http']) {
  const moduleRef = await Test.createTestingModule({
    imports: [BallastCoreModule.forRoot({ metrics: { defaultMetrics: false } }), PoolModule.forRoot({ http })],
  }).compile();
  app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return { pools: app.get(PoolRegistry), health: app.get(HealthContributorRegistry) };
}

describe('HTTP pools on undici', () => {
  it('sends 1,000 concurrent requests through a pool of 10 over at most 10 sockets', async () => {
    const { pools } = await start({ upstream: { origin: upstream.origin, maxSize: 10 } });
    const http = pools.http('upstream');
    upstream.connections = 0;
    upstream.peakInFlight = 0;
    const bodies = await Promise.all(
      Array.from({ length: 1_000 }, async (_, i) => {
        const response = await http.request({ path: `/item/${i}`, method: 'GET' });
        return response.body.text();
      }),
    );
    expect(bodies).toHaveLength(1_000);
    expect(bodies[999]).toBe('/item/999');
    expect(upstream.connections).toBeLessThanOrEqual(10);
    expect(upstream.connections).toBeGreaterThan(0);
    expect(upstream.peakInFlight).toBeLessThanOrEqual(10);
    const stats = http.stats();
    expect(stats.waitTime.count).toBe(1_000);
    expect(stats.useTime.count).toBe(1_000);
    expect(stats.created).toBe(upstream.connections);
    expect(stats.createTime.count).toBe(upstream.connections);
    expect(stats.pending).toBe(0);
    expect(stats.max).toBe(10);
  });

  it('times fetch() through the pool dispatcher too', async () => {
    const { pools } = await start({ upstream: { origin: upstream.origin, maxSize: 2 } });
    const http = pools.http('upstream');
    const response = await fetch(`${upstream.origin}/via-fetch`, { dispatcher: http.dispatcher });
    expect(await response.text()).toBe('/via-fetch');
    expect(http.stats().useTime.count).toBe(1);
  });

  it('counts a headers timeout as a timeout and an error', async () => {
    // undici checks its timers about once a second, so 100 ms fires at ~1 s: still well before /slow answers.
    const { pools } = await start({ upstream: { origin: upstream.origin, headersTimeoutMs: 100 } });
    const http = pools.http('upstream');
    const error = await http.request({ path: '/slow', method: 'GET' }).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('UND_ERR_HEADERS_TIMEOUT');
    expect(http.stats()).toMatchObject({ timeouts: 1, errors: { broken: 1 } });
  });

  it('reports the upstream degraded (not critical by default) when its health path fails', async () => {
    const { health } = await start({
      upstream: { origin: upstream.origin, healthPath: '/health', healthCheckIntervalMs: 0 },
    });
    upstream.status = 503;
    try {
      const results = Object.assign({}, ...(await Promise.all(health.checks('readiness').map((c) => c()))));
      expect(results['http:upstream']).toMatchObject({
        status: 'degraded',
        critical: false,
        reason: expect.stringMatching(/\/health did not answer: HTTP 503/),
      });
    } finally {
      upstream.status = 200;
    }
  });

  it('reuses an upstream health answer for healthCheckIntervalMs', async () => {
    const { health } = await start({
      upstream: { origin: upstream.origin, healthPath: '/health', healthCheckIntervalMs: 60_000 },
    });
    upstream.status = 503;
    try {
      const results = Object.assign({}, ...(await Promise.all(health.checks('readiness').map((c) => c()))));
      // The start-up probe saw 200 a moment ago; within the interval that answer stands.
      expect(results['http:upstream']).toMatchObject({ status: 'up' });
    } finally {
      upstream.status = 200;
    }
  });

  it('fails start-up when a health path is configured and the upstream answers 5xx', async () => {
    upstream.status = 500;
    try {
      const error = await start({ broken: { origin: upstream.origin, healthPath: '/health' } }).catch(
        (e: unknown) => e,
      );
      app = undefined;
      expect((error as Error).message).toMatch(
        /HTTP pool "broken" \(http:\/\/127\.0\.0\.1:\d+\) did not answer at start-up: .*HTTP 500/,
      );
    } finally {
      upstream.status = 200;
    }
  });

  it('closes its sockets and diagnostics subscriptions on app.close()', async () => {
    const snapshot = snapshotHandles();
    const { pools } = await start({ upstream: { origin: upstream.origin, maxSize: 4 } });
    await Promise.all(
      Array.from({ length: 20 }, async () =>
        (await pools.http('upstream').request({ path: '/', method: 'GET' })).body.dump(),
      ),
    );
    expect(diagnostics.channel('undici:client:connected').hasSubscribers).toBe(true);
    await app!.close();
    app = undefined;
    expect(diagnostics.channel('undici:client:connected').hasSubscribers).toBe(false);
    await expectNoNewHandles(snapshot);
  });
});

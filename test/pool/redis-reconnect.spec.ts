import { afterEach, describe, expect, it } from '@jest/globals';
import { BallastCoreModule } from '@ballast/core';
import { PoolModule, PoolRegistry } from '@ballast/pool';
import { RESOURCE_TRACKER, type ResourceTracker } from '@ballast/tracker';
import type { INestApplication, LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';

import { PrivateRedis } from '../support/private-redis.js';
import { startTrackerApp } from '../tracker/tracker-test.app.js';

async function until(condition: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every line the app logs, at every level (Nest's default level lets debug through). */
class CapturingLogger implements LoggerService {
  readonly lines: { level: string; message: string }[] = [];
  private add(level: string, message: unknown): void {
    this.lines.push({ level, message: String(message) });
  }
  log(message: unknown): void {
    this.add('log', message);
  }
  warn(message: unknown): void {
    this.add('warn', message);
  }
  error(message: unknown): void {
    this.add('error', message);
  }
  debug(message: unknown): void {
    this.add('debug', message);
  }
  verbose(message: unknown): void {
    this.add('verbose', message);
  }
}

let app: INestApplication | undefined;
let server: PrivateRedis | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
  await server?.kill();
  server = undefined;
});

describe('a Redis client during an outage', () => {
  it('logs one warn line for the outage and one when it is back, no line per failed reconnect', async () => {
    server = await PrivateRedis.start();
    const logger = new CapturingLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [
        BallastCoreModule.forRoot({ metrics: { defaultMetrics: false } }),
        PoolModule.forRoot({ redis: { flaky: { url: server.url, reconnectInitialMs: 20, reconnectMaxMs: 50 } } }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger });
    await app.init();
    const connection = app.get(PoolRegistry).redisConnection('flaky');
    const before = logger.lines.length;

    await server.kill();
    // With a 20-50 ms backoff, a second of outage is a dozen or more failed reconnects.
    await until(() => connection.clientStats().reconnectAttempts >= 10);
    await server.start();
    await until(() => connection.client.status === 'ready');

    const during = logger.lines.slice(before).filter((line) => line.message.includes('"flaky"'));
    expect(connection.clientStats().errors).toBeGreaterThanOrEqual(10);
    expect(during.filter((line) => line.level === 'warn')).toHaveLength(1);
    expect(during.filter((line) => line.level === 'debug' || line.level === 'verbose')).toEqual([]);
    expect(during.map((line) => line.level)).toEqual(['warn', 'log']);
  });
});

describe('a Redis client that reconnects, under the resource tracker', () => {
  it('files each new socket under the pool and releases the old one, never reporting it as a leak', async () => {
    server = await PrivateRedis.start();
    app = await startTrackerApp({ signals: { pollIntervalMs: 0 } }, [
      PoolModule.forRoot({ redis: { cache: { url: server.url, reconnectInitialMs: 20, reconnectMaxMs: 100 } } }),
    ]);
    const tracker = app.get<ResourceTracker>(RESOURCE_TRACKER);
    const connection = app.get(PoolRegistry).redisConnection('cache');
    const owned = () => tracker.list({ owner: 'pool:redis:cache', type: 'socket' });
    const first = (connection.client as unknown as { stream: { localPort: number; destroyed: boolean } }).stream;
    expect(owned()).toHaveLength(1);

    for (let reconnect = 1; reconnect <= 2; reconnect++) {
      const id = await connection.client.client('ID');
      const admin = new Redis(server.url);
      try {
        await admin.client('KILL', 'ID', String(id));
      } finally {
        admin.disconnect();
      }
      await until(() => connection.clientStats().reconnects === reconnect && connection.client.status === 'ready');
    }
    const current = (connection.client as unknown as { stream: { localPort: number } }).stream;
    expect(current).not.toBe(first);
    expect(first.destroyed).toBe(true);
    // One open socket record for the client, the current one, long-lived; the closed ones released.
    const sockets = owned();
    expect(sockets).toHaveLength(1);
    expect(sockets[0]).toMatchObject({
      longLived: true,
      details: expect.objectContaining({ local: current.localPort }),
    });
    // Every socket open to this server is filed under the pool: none is left unowned.
    const toServer = tracker
      .list({ type: 'socket' })
      .filter((socket) => String(socket.details?.remote ?? '').endsWith(`:${server!.port}`));
    expect(toServer.map((socket) => socket.owner)).toEqual(['pool:redis:cache']);
    expect(await connection.client.ping()).toBe('PONG');
    const leaks = await tracker.detectLeaks({ maxLifetimeMs: 0 });
    expect(leaks.filter((leak) => leak.owner === 'pool:redis:cache')).toEqual([]);

    await app.close();
    app = undefined;
    expect(tracker.list({ owner: 'pool:redis:cache' })).toEqual([]);
  });
});

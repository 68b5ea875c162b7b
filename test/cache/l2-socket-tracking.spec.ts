import { afterEach, describe, expect, it } from '@jest/globals';
import { CacheModule, CacheRegistry } from '@ballast/cache';
import { RESOURCE_TRACKER, type ResourceTracker } from '@ballast/tracker';
import type { INestApplication } from '@nestjs/common';
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

let app: INestApplication | undefined;
let server: PrivateRedis | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
  await server?.kill();
  server = undefined;
});

describe('the L2 Redis connections under the resource tracker', () => {
  it('file every socket under the cache module, long-lived, and follow a reconnect without a false leak', async () => {
    server = await PrivateRedis.start();
    app = await startTrackerApp({ signals: { pollIntervalMs: 0 } }, [
      CacheModule.forRoot({
        caches: { tickets: { maxEntries: 100 } },
        l2: {
          enabled: true,
          url: server.url,
          keyPrefix: 'sock:',
          channel: 'sock:invalidate',
          maxReconnectDelayMs: 100,
        },
      }),
    ]);
    const tracker = app.get<ResourceTracker>(RESOURCE_TRACKER);
    const cache = app.get(CacheRegistry).get('tickets');
    await until(() => cache.l2Status === 'up');
    const toServer = () =>
      tracker
        .list({ type: 'socket' })
        .filter((socket) => String(socket.details?.remote ?? '').endsWith(`:${server!.port}`));
    const filed = () => tracker.list({ owner: 'CacheModule', type: 'socket' });
    expect(
      filed()
        .map((socket) => socket.details?.role)
        .sort(),
    ).toEqual(['l2-commands', 'l2-invalidations']);
    expect(filed().every((socket) => socket.longLived)).toBe(true);
    const firstPorts = filed().map((socket) => socket.details?.local);

    // Redis drops every client: both reconnect on new sockets.
    const admin = new Redis(server.url);
    try {
      await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      await admin.client('KILL', 'TYPE', 'pubsub');
    } finally {
      admin.disconnect();
    }
    await until(
      () =>
        cache.l2Status === 'up' &&
        filed().length === 2 &&
        filed().every((socket) => !firstPorts.includes(socket.details?.local)),
    );
    // One record per live socket, each owned: none left unowned, none of the closed ones still open.
    expect(
      filed()
        .map((socket) => socket.details?.role)
        .sort(),
    ).toEqual(['l2-commands', 'l2-invalidations']);
    expect(toServer().map((socket) => socket.owner)).toEqual(['CacheModule', 'CacheModule']);
    const leaks = await tracker.detectLeaks({ maxLifetimeMs: 0 });
    expect(leaks.filter((leak) => leak.owner === 'CacheModule')).toEqual([]);

    await app.close();
    app = undefined;
    expect(tracker.list({ owner: 'CacheModule' })).toEqual([]);
  });
});

import { afterEach, describe, expect, it } from '@jest/globals';
import { PoolModule, PoolRegistry } from '@ballast/pool';
import { RESOURCE_TRACKER, type ResourceTracker } from '@ballast/tracker';
import type { INestApplication } from '@nestjs/common';

import { DATABASE_URL, REDIS_URL } from '../support/services.js';
import { startTrackerApp } from './tracker-test.app.js';

describe('tracker and pools together', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it("files a pooled connection's socket under its pool, long-lived, so it is never reported as a leak", async () => {
    app = await startTrackerApp({ signals: { pollIntervalMs: 0 } }, [
      PoolModule.forRoot({
        databases: { main: { url: DATABASE_URL, minSize: 1, maxSize: 4 } },
        redis: { cache: { url: REDIS_URL, minSize: 1 } },
      }),
    ]);
    const tracker = app.get<ResourceTracker>(RESOURCE_TRACKER);
    const pools = app.get(PoolRegistry);
    // Grow the database pool while the tracker's socket signal is on: these sockets are new.
    const pg = pools.database('main').pgPool.resourcePool;
    const leases = await Promise.all([pg.acquire(), pg.acquire(), pg.acquire()]);
    for (const lease of leases) lease.release();
    await pools.redisConnection('cache').blocking.use((c) => c.ping());

    const sockets = tracker.list({ type: 'socket' });
    expect(sockets.length).toBeGreaterThanOrEqual(3);
    for (const socket of sockets)
      expect(socket).toMatchObject({ owner: expect.stringMatching(/^pool:/), longLived: true });
    expect(tracker.detectLeaks({ maxLifetimeMs: 0 }).filter((l) => l.type === 'socket')).toEqual([]);
    // One socket record per pooled connection: ioredis' socket was seen by the signal and refined.
    const owned = (owner: string, type: string) => tracker.list({ owner, type }).length;
    expect(owned('pool:database:main', 'socket')).toBe(owned('pool:database:main', 'db-connection'));
    expect(owned('pool:database:main', 'socket')).toBeGreaterThanOrEqual(3);
    expect(owned('pool:redis:cache', 'socket')).toBeGreaterThanOrEqual(1);

    await app.close();
    app = undefined;
    expect(tracker.list({ type: 'socket' })).toEqual([]);
  });
});

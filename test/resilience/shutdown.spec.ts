import { randomBytes } from 'node:crypto';

import { afterAll, describe, expect, it } from '@jest/globals';
import { expectNoNewHandles, snapshotHandles } from '@ballast/core/testing';
import {
  BreakerRegistry,
  DeadLetterService,
  ResilienceHolder,
  ResilienceRuntime,
  TimeoutError,
} from '@ballast/resilience';
import { RESOURCE_TRACKER, ResourceTrackerModule, type ResourceTracker } from '@ballast/tracker';
import pg from 'pg';

import { DATABASE_URL, REDIS_URL } from '../support/services.js';
import { startApp } from './resilience-test.app.js';

const table = `dlq_shutdown_${randomBytes(4).toString('hex')}`;

/** opossum keeps an open breaker's reset timer under a private symbol; a closed Timeout is `_destroyed`. */
function resetTimerOf(engine: object): { _destroyed?: boolean } | undefined {
  const symbol = Object.getOwnPropertySymbols(engine).find((s) => s.description === 'reset-timeout');
  return symbol === undefined ? undefined : (engine as Record<symbol, { _destroyed?: boolean }>)[symbol];
}

describe('shutdown', () => {
  afterAll(async () => {
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP TABLE IF EXISTS "${table}"`);
    await client.end();
  });

  it('leaves no handle after app.close(), with 10k per-key breakers, a Postgres store and shared state', async () => {
    const snapshot = snapshotHandles();
    const app = await startApp({
      deadLetter: { store: 'postgres', postgres: { url: DATABASE_URL, table } },
      sharedState: { enabled: true, redisUrl: REDIS_URL, channel: `ballast:test:${table}` },
    });
    const runtime = app.get(ResilienceRuntime);
    const tenants = app.get(BreakerRegistry).keyed('tenants', { maxKeys: 10_000 });
    for (let i = 0; i < 10_000; i++) await tenants.execute(`tenant-${i}`, async () => i);
    expect(tenants.size).toBe(10_000);
    const opened = Array.from({ length: 100 }, (_, i) => tenants.get(`tenant-${i * 97}`));
    for (const breaker of opened) breaker.forceOpen(60_000);
    expect(opened.every((b) => resetTimerOf(b.engine)?._destroyed === false)).toBe(true);
    await app.get(DeadLetterService).send('orders', { id: 1 }, new Error('kept in postgres'));
    // A call still waiting for its deadline when the app closes.
    const pending = runtime.timeout('slow', { timeoutMs: 60_000 }).execute(() => new Promise(() => undefined));
    expect(runtime.rotation.running).toBe(true);
    expect(runtime.wheel.timers).toBe(1);

    await app.close();

    await expect(pending).rejects.toBeInstanceOf(TimeoutError); // expired on close, nothing hangs
    // Unref'd timers do not show up as handles: check ours one by one.
    expect(runtime.rotation.running).toBe(false);
    expect(runtime.rotation.listenerCount('rotate')).toBe(0);
    expect(runtime.wheel.timers).toBe(0);
    expect(tenants.size).toBe(0);
    expect(opened.every((b) => b.engine.isShutdown && resetTimerOf(b.engine)?._destroyed === true)).toBe(true);
    expect(ResilienceHolder.current()).not.toBe(runtime);
    await expectNoNewHandles(snapshot);
  });

  it('shows its Redis clients and retention timer to the tracker as long-lived, and releases them on close', async () => {
    const app = await startApp(
      {
        deadLetter: { store: 'redis', redis: { url: REDIS_URL, keyPrefix: `ballast:test:${table}:dlq` } },
        sharedState: { enabled: true, redisUrl: REDIS_URL, channel: `ballast:test:${table}:tracked` },
      },
      { imports: [ResourceTrackerModule.forRoot({ signals: { pollIntervalMs: 0 } })] },
    );
    const tracker = app.get<ResourceTracker>(RESOURCE_TRACKER);
    const ours = () =>
      tracker
        .list({ owner: 'ResilienceModule' })
        .map((r) => `${r.type} ${String(r.details?.use)} ${r.longLived}`)
        .sort();
    expect(ours()).toEqual([
      'interval dead-letter retention true',
      'redis-client dead letters true',
      'redis-client shared breaker state true',
    ]);
    // The retention interval is one record, even though the tracker's timer signal saw it too.
    expect(tracker.list({ type: 'interval' })).toHaveLength(1);
    await app.close();
    expect(ours()).toEqual([]);
  });

  it('evicts the least recently used key beyond maxKeys and shuts its breaker down', async () => {
    const app = await startApp({ keyed: { maxKeys: 3 } });
    const hosts = app.get(BreakerRegistry).keyed('hosts');
    const first = hosts.get('a');
    hosts.get('b');
    hosts.get('c');
    hosts.get('a'); // a is now the most recent
    hosts.get('d'); // evicts b
    expect([...hosts.keys()]).toEqual(['c', 'a', 'd']);
    expect(hosts.evictions).toBe(1);
    expect(first.engine.isShutdown).toBe(false);
    hosts.get('e');
    hosts.get('f');
    hosts.get('g'); // a goes now
    expect(first.engine.isShutdown).toBe(true);
    expect(app.get(ResilienceRuntime).rotation.listenerCount('rotate')).toBe(3);
    await app.close();
  });
});

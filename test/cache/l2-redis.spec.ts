import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { BallastCoreModule } from '@ballast/core';
import { CacheModule, CacheRegistry, cacheHealth, type AsyncTTLCache, type CacheModuleOptions } from '@ballast/cache';
import { expectNoNewHandles, snapshotHandles, type HandleSnapshot } from '@ballast/core/testing';
import type { INestApplication } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';

import { REDIS_URL } from '../support/services.js';
import { PrivateRedis } from '../support/private-redis.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > timeoutMs) throw new Error(`not ${what} within ${timeoutMs} ms`);
    await sleep(2);
  }
  return performance.now() - started;
}

/** One app instance of a service: its own Nest app and L1, sharing Redis with the others. */
async function startInstance(
  l2: CacheModuleOptions['l2'],
): Promise<{ app: INestApplication; cache: AsyncTTLCache<unknown> }> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ScheduleModule.forRoot(),
      BallastCoreModule.forRoot({ metrics: { defaultMetrics: false } }),
      CacheModule.forRoot({ ttlMs: 60_000, caches: { tickets: { maxEntries: 1_000 } }, l2 }),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  const cache = app.get(CacheRegistry).get('tickets');
  await until(() => cache.l2Status === 'up', 5_000, 'linked to Redis');
  return { app, cache };
}

describe('L2 in Redis with two app instances', () => {
  const prefix = `test:cache:${randomUUID()}:`;
  const l2 = { enabled: true, url: REDIS_URL, keyPrefix: prefix, channel: `${prefix}invalidate` };
  let a: Awaited<ReturnType<typeof startInstance>>;
  let b: Awaited<ReturnType<typeof startInstance>>;
  let handles: HandleSnapshot;

  beforeAll(async () => {
    handles = snapshotHandles();
    a = await startInstance(l2);
    b = await startInstance(l2);
  });

  afterAll(async () => {
    const inspect = new Redis(REDIS_URL);
    const leftovers = await inspect.keys(`${prefix}*`);
    if (leftovers.length) await inspect.del(...leftovers);
    await inspect.quit();
    await a?.app.close();
    await b?.app.close();
    await expectNoNewHandles(handles);
  });

  it('shares values: what one instance sets, the other reads from L2', async () => {
    await a.cache.set('ticket:1', { id: 1, title: 'printer on fire' });
    expect(b.cache.peek('ticket:1')).toBeUndefined();
    expect(await b.cache.get('ticket:1')).toEqual({ id: 1, title: 'printer on fire' });
    expect(b.cache.peek('ticket:1')).toEqual({ id: 1, title: 'printer on fire' });
    expect(b.cache.stats().l2Hits).toBeGreaterThanOrEqual(1);
  });

  it('a delete on one instance drops the key from the other instance', async () => {
    await a.cache.set('ticket:2', 'two');
    expect(await b.cache.get('ticket:2')).toBe('two');
    await a.cache.delete('ticket:2');
    await until(() => b.cache.peek('ticket:2') === undefined, 1_000, 'dropped from B');
    expect(await b.cache.get('ticket:2')).toBeUndefined();
  });

  it('a set on one instance replaces the value the other holds in L1', async () => {
    await a.cache.set('ticket:3', 'v1');
    expect(await b.cache.get('ticket:3')).toBe('v1');
    const heard = b.cache.stats().remoteInvalidations;
    await a.cache.set('ticket:3', 'v2');
    await until(() => b.cache.stats().remoteInvalidations > heard, 1_000, 'invalidation heard');
    expect(await b.cache.get('ticket:3')).toBe('v2');
  });

  it('loads once across instances: the second instance finds the first one’s result in L2', async () => {
    const loadA = jest.fn(async () => 'from A');
    const loadB = jest.fn(async () => 'from B');
    expect(await a.cache.wrap('stats:today', loadA)).toBe('from A');
    expect(await b.cache.wrap('stats:today', loadB)).toBe('from A');
    expect(loadB).not.toHaveBeenCalled();
  });

  it('invalidates by prefix and by tag on every instance and in Redis', async () => {
    await a.cache.set('team:red:1', 1);
    await a.cache.set('team:red:2', 2, { tags: ['red'] });
    await a.cache.set('team:blue:1', 3, { tags: ['blue'] });
    for (const key of ['team:red:1', 'team:red:2', 'team:blue:1']) await b.cache.get(key);
    expect(b.cache.keys('team:')).toHaveLength(3);

    await a.cache.invalidatePrefix('team:red:');
    await until(() => b.cache.keys('team:red:').length === 0, 1_000, 'prefix dropped from B');
    expect(await b.cache.get('team:red:1')).toBeUndefined();

    const inspect = new Redis(REDIS_URL);
    try {
      const tagTtl = await inspect.pttl(`${prefix}tickets:#tag:blue`);
      expect(tagTtl).toBeGreaterThan(59_000); // the tag set expires with its member (60 s TTL)
      await b.cache.invalidateTags('blue');
      await until(() => a.cache.peek('team:blue:1') === undefined, 1_000, 'tag dropped from A');
      expect(await a.cache.get('team:blue:1')).toBeUndefined();
      expect(await inspect.exists(`${prefix}tickets:team:blue:1`, `${prefix}tickets:#tag:blue`)).toBe(0);
    } finally {
      await inspect.quit();
    }
  });
});

describe('L2 when Redis stops and comes back', () => {
  let redis: PrivateRedis;
  let a: Awaited<ReturnType<typeof startInstance>>;
  let b: Awaited<ReturnType<typeof startInstance>>;
  let handles: HandleSnapshot;

  beforeAll(async () => {
    handles = snapshotHandles();
    redis = await PrivateRedis.start();
    const l2 = { enabled: true, url: redis.url, commandTimeoutMs: 25, degradedTtlMs: 300 };
    a = await startInstance(l2);
    b = await startInstance(l2);
  });

  afterAll(async () => {
    await a?.app.close();
    await b?.app.close();
    await redis?.kill();
    await expectNoNewHandles(handles);
  });

  it('keeps answering within 50 ms from L1 or the loader, degraded, then recovers', async () => {
    await a.cache.set('warm', 'kept in L1');
    await redis.kill();
    // Served from L1 right after the stop (later it may have aged out under the degraded TTL).
    expect(await a.cache.get('warm')).toBe('kept in L1');

    // Straight after the stop and for a while after it, every kind of call answers in time.
    let slowest = 0;
    for (let round = 0; round < 20; round++) {
      const calls: [string, () => Promise<unknown>][] = [
        ['get hit', () => a.cache.get('warm')],
        ['get miss', () => b.cache.get(`missing:${round}`)],
        ['wrap miss', () => b.cache.wrap(`load:${round}`, async () => round)],
        ['set', () => a.cache.set(`set:${round}`, round)],
        ['delete', () => a.cache.delete(`set:${round}`)],
        ['has', () => b.cache.has(`nothing:${round}`)],
        ['prefix', () => a.cache.invalidatePrefix(`none:${round}`)],
      ];
      for (const [name, call] of calls) {
        const started = performance.now();
        await call();
        const took = performance.now() - started;
        slowest = Math.max(slowest, took);
        expect({ call: name, round, within50ms: took < 50 }).toEqual({ call: name, round, within50ms: true });
      }
      await sleep(10);
    }
    expect(await b.cache.wrap('load:x', async () => 'from the loader')).toBe('from the loader');

    await until(() => a.cache.l2Status === 'down' && b.cache.l2Status === 'down', 1_000, 'seen as down');
    expect(cacheHealth(a.cache)).toMatchObject({ status: 'degraded', details: { l2: 'down' } });
    expect(a.cache.stats().l2Errors).toBeGreaterThan(0);

    // While invalidations cannot arrive, L1 entries live no longer than the degraded TTL.
    await a.cache.set('while-down', 'short-lived', { ttlMs: 60_000 });
    await sleep(350);
    expect(a.cache.peek('while-down')).toBeUndefined();

    await redis.start();
    const back = performance.now();
    await until(() => a.cache.l2Status === 'up' && b.cache.l2Status === 'up', 5_000, 'relinked');
    const relinkMs = performance.now() - back;
    expect(cacheHealth(a.cache).status).toBe('healthy');

    await b.cache.set('after', 'fresh');
    expect(await a.cache.get('after')).toBe('fresh');
    const deleted = performance.now();
    await b.cache.delete('after');
    const propagationMs = await until(() => a.cache.peek('after') === undefined, 1_000, 'invalidated after recovery');
    console.log(
      `L2 outage: slowest call ${slowest.toFixed(2)} ms; relinked ${relinkMs.toFixed(0)} ms after Redis answered; ` +
        `invalidation then reached the other instance in ${(performance.now() - deleted).toFixed(1)} ms (${propagationMs.toFixed(1)} ms polled)`,
    );
  });
});

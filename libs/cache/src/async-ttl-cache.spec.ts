import { describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';

import { AsyncTTLCache } from './async-ttl-cache.js';
import type { CacheClock } from './store/cache-clock.js';

class ManualClock implements CacheClock {
  constructor(public time = 1_000_000) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('AsyncTTLCache', () => {
  describe('TTL', () => {
    it('expires entries at their TTL on a fake clock, default and per entry', async () => {
      const clock = new ManualClock();
      const cache = new AsyncTTLCache<string>({ ttlMs: 1_000, clock });
      await cache.set('default', 'a');
      await cache.set('short', 'b', { ttlMs: 100 });
      await cache.set('forever', 'c', { ttlMs: 0 });

      clock.advance(99);
      expect(await cache.get('short')).toBe('b');
      clock.advance(1);
      expect(await cache.get('short')).toBeUndefined();
      expect(cache.peek('default')).toBe('a');

      clock.advance(900);
      expect(cache.peek('default')).toBeUndefined();
      expect(await cache.has('default')).toBe(false);
      clock.advance(365 * 24 * 3600 * 1000);
      expect(await cache.get('forever')).toBe('c');
      expect(cache.stats().expirations).toBe(2);
      expect(cache.size).toBe(1);
    });

    it('rejects a negative or fractional per-call TTL', async () => {
      const cache = new AsyncTTLCache<string>();
      expect(() => cache.set('k', 'v', { ttlMs: -1 })).toThrow(/ttlMs must be a whole number/);
      expect(() => cache.set('k', 'v', { ttlMs: 1.5 })).toThrow(/ttlMs/);
    });

    it('stops start-up on bad settings with the option, the value and what is allowed', () => {
      expect(() => new AsyncTTLCache({ maxEntries: 0 })).toThrow(/AsyncTTLCache: invalid options[\s\S]*maxEntries = 0/);
      expect(() => new AsyncTTLCache({ policy: 'mru' as never })).toThrow(/policy = "mru".*"s3-fifo".*"lru"/);
      expect(() => new AsyncTTLCache({ maxEntries: 4, numShards: 8 })).toThrow(/numShards/);
      expect(() => new AsyncTTLCache({ maxBytes: 0 })).toThrow(/maxBytes = 0/);
    });

    it('caps the default shard count at maxEntries, so a one-entry cache needs no other setting', async () => {
      const single = new AsyncTTLCache<string>({ maxEntries: 1 });
      expect(single.shardCount).toBe(1);
      await single.set('a', 'x');
      await single.set('b', 'y');
      expect(single.size).toBe(1);
      expect(single.peek('b')).toBe('y');
      expect(single.verify()).toBeUndefined();
      expect(new AsyncTTLCache({ maxEntries: 5 }).shardCount).toBe(5);
      expect(new AsyncTTLCache({ maxEntries: 100 }).shardCount).toBe(8);
    });

    it('takes a byte bound in the units of its own sizeOf, down to 1 (as lru-cache maxSize)', async () => {
      const cache = new AsyncTTLCache<string>({ maxBytes: 3, sizeOf: () => 1 });
      for (const key of ['a', 'b', 'c', 'd']) await cache.set(key, key);
      expect(cache.size).toBe(3);
      expect(cache.bytes).toBe(3);
      expect(cache.stats().evictions.bytes).toBe(1);
    });
  });

  describe('bounds', () => {
    const operation = fc.oneof(
      fc.record({
        op: fc.constant('set' as const),
        key: fc.integer({ min: 0, max: 60 }),
        size: fc.integer({ min: 0, max: 600 }),
        ttl: fc.integer({ min: 0, max: 50 }),
      }),
      fc.record({ op: fc.constant('get' as const), key: fc.integer({ min: 0, max: 60 }) }),
      fc.record({ op: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 60 }) }),
      fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ op: fc.constant('purge' as const) }),
      fc.record({ op: fc.constant('prefix' as const), key: fc.integer({ min: 0, max: 6 }) }),
      fc.record({ op: fc.constant('tag' as const), key: fc.integer({ min: 0, max: 3 }) }),
    );

    it('never exceeds the entry or byte bound under random operations, and stays consistent', () => {
      fc.assert(
        fc.property(
          fc.record({
            maxEntries: fc.integer({ min: 1, max: 40 }),
            maxBytes: fc.integer({ min: 1024, max: 8192 }),
            numShards: fc.integer({ min: 1, max: 8 }),
            policy: fc.constantFrom('s3-fifo' as const, 'lru' as const),
          }),
          fc.array(operation, { maxLength: 300 }),
          (settings, ops) => {
            fc.pre(settings.numShards <= settings.maxEntries);
            const clock = new ManualClock();
            const cache = new AsyncTTLCache<string>({
              ...settings,
              clock,
              ttlMs: 20,
              sizeOf: (value) => 100 + value.length,
            });
            for (const step of ops) {
              switch (step.op) {
                case 'set':
                  void cache.set(`k${step.key}`, 'x'.repeat(step.size), {
                    ttlMs: step.ttl,
                    tags: [`t${step.key % 4}`],
                  });
                  break;
                case 'get':
                  cache.peek(`k${step.key}`);
                  break;
                case 'delete':
                  void cache.delete(`k${step.key}`);
                  break;
                case 'advance':
                  clock.advance(step.ms);
                  break;
                case 'purge':
                  cache.purgeNextShard();
                  break;
                case 'prefix':
                  void cache.invalidatePrefix(`k${step.key}`);
                  break;
                case 'tag':
                  void cache.invalidateTags(`t${step.key}`);
                  break;
              }
              expect(cache.size).toBeLessThanOrEqual(settings.maxEntries);
              expect(cache.bytes).toBeLessThanOrEqual(settings.maxBytes);
              expect(cache.verify()).toBeUndefined();
            }
          },
        ),
        { numRuns: 300 },
      );
    });

    it('refuses an entry larger than maxBytes and drops the old value of its key', async () => {
      const cache = new AsyncTTLCache<string>({ maxBytes: 2048, sizeOf: (value) => value.length });
      await cache.set('k', 'small');
      await cache.set('k', 'x'.repeat(4096));
      expect(cache.peek('k')).toBeUndefined();
      expect(cache.stats().rejected).toBe(1);
    });

    it('sizes entries structurally by default, counting key, value and bookkeeping', async () => {
      const cache = new AsyncTTLCache<object>({ maxBytes: 10_000 });
      await cache.set('a', { id: 1 });
      const small = cache.bytes;
      await cache.set('b', { id: 2, list: Array.from({ length: 100 }, (_, i) => `item-${i}-of-the-list`) });
      expect(small).toBeGreaterThan(100);
      expect(cache.bytes - small).toBeGreaterThan(100 * 40);
    });

    it('writes a live key again in place: old value reported replaced, size, expiry, tags and order updated', async () => {
      const removed: string[] = [];
      const clock = new ManualClock();
      const cache = new AsyncTTLCache<string>({
        maxEntries: 3,
        numShards: 1,
        ttlMs: 100,
        clock,
        sizeOf: (value) => value.length,
        onRemove: (key, value, reason) => removed.push(`${key}=${value}:${reason}`),
      });
      await cache.set('a', 'x', { tags: ['old'] });
      await cache.set('b', 'y');
      await cache.set('c', 'z');
      clock.advance(60);
      await cache.set('a', 'xxxx', { tags: ['new'] });
      expect(removed).toEqual(['a=x:replaced']);
      expect(cache.bytes).toBe(6);
      expect(cache.verify()).toBeUndefined();
      // Written last, `a` is now the newest entry: the next insertion evicts `b`, the oldest.
      await cache.set('d', 'w');
      expect(cache.keys().sort()).toEqual(['a', 'c', 'd']);
      expect(await cache.invalidateTags('old')).toBe(0);
      clock.advance(60); // c (written with the first `a`) has expired; the new `a` has not
      expect(cache.peek('a')).toBe('xxxx');
      expect(cache.peek('c')).toBeUndefined();
      expect(await cache.invalidateTags('new')).toBe(1);
      expect(cache.verify()).toBeUndefined();
    });

    it('evicts by count and by bytes, and says which', async () => {
      const removed: string[] = [];
      const cache = new AsyncTTLCache<string>({
        maxEntries: 3,
        maxBytes: 2048,
        numShards: 1,
        sizeOf: (value) => value.length,
        onRemove: (key, _value, reason) => removed.push(`${key}:${reason}`),
      });
      for (const key of ['a', 'b', 'c', 'd']) await cache.set(key, 'x');
      // Room for one more entry means evicting b; room for 2,047 bytes beside c and d means evicting c too.
      await cache.set('big', 'y'.repeat(2047));
      expect(removed).toEqual(['a:capacity', 'b:capacity', 'c:bytes']);
      expect(cache.stats().evictions).toEqual({ capacity: 2, bytes: 1, memory: 0 });
      expect(cache.keys().sort()).toEqual(['big', 'd']);
    });
  });

  describe('eviction policy', () => {
    it('s3-fifo keeps keys read again through a scan of one-time keys', async () => {
      const cache = new AsyncTTLCache<number>({ maxEntries: 100, numShards: 1 });
      for (let i = 0; i < 50; i++) await cache.set(`hot${i}`, i);
      for (let i = 0; i < 50; i++) cache.peek(`hot${i}`);
      for (let i = 0; i < 1_000; i++) await cache.set(`scan${i}`, i);
      const survivors = Array.from({ length: 50 }, (_, i) => cache.peek(`hot${i}`)).filter((v) => v !== undefined);
      expect(survivors).toHaveLength(50);
    });

    it('lru evicts the least recently used key and loses the hot keys to a scan', async () => {
      const cache = new AsyncTTLCache<number>({ maxEntries: 3, numShards: 1, policy: 'lru' });
      await cache.set('a', 1);
      await cache.set('b', 2);
      await cache.set('c', 3);
      cache.peek('a');
      await cache.set('d', 4);
      expect(cache.keys().sort()).toEqual(['a', 'c', 'd']);
      for (let i = 0; i < 3; i++) await cache.set(`scan${i}`, i);
      expect(cache.peek('a')).toBeUndefined();
    });

    it('s3-fifo admits a key evicted without a second read straight to the main queue when it returns', async () => {
      const cache = new AsyncTTLCache<number>({ maxEntries: 20, numShards: 1 });
      for (let i = 0; i < 20; i++) await cache.set(`k${i}`, i);
      await cache.set('new', 1); // evicts k0 from the small queue into the ghost
      expect(cache.peek('k0')).toBeUndefined();
      await cache.set('k0', 0); // remembered: main queue
      for (let i = 0; i < 40; i++) await cache.set(`scan${i}`, i);
      expect(cache.peek('k0')).toBe(0);
    });
  });

  describe('single-flight', () => {
    it('calls the loader once for 100 concurrent callers on a cold key', async () => {
      const cache = new AsyncTTLCache<string>();
      const gate = deferred<string>();
      const loader = jest.fn(() => gate.promise);
      const waiters = Array.from({ length: 100 }, () => cache.wrap('cold', loader));
      await tick();
      gate.resolve('loaded');
      expect(await Promise.all(waiters)).toEqual(Array(100).fill('loaded'));
      expect(loader).toHaveBeenCalledTimes(1);
      expect(cache.peek('cold')).toBe('loaded');
      expect(cache.stats()).toMatchObject({ loads: 1, coalesced: 99 });
    });

    it('gives a failing loader to every waiter once and does not cache it', async () => {
      const cache = new AsyncTTLCache<string>();
      const gate = deferred<string>();
      const loader = jest.fn(() => gate.promise);
      const outcomes = Array.from({ length: 20 }, () =>
        cache.wrap('bad', loader).then(
          () => 'ok',
          (e: Error) => e,
        ),
      );
      gate.reject(new Error('upstream down'));
      const results = await Promise.all(outcomes);
      expect(loader).toHaveBeenCalledTimes(1);
      expect(new Set(results).size).toBe(1);
      expect((results[0] as Error).message).toBe('upstream down');
      expect(cache.peek('bad')).toBeUndefined();
      expect(cache.stats().loadErrors).toBe(1);

      const retry = jest.fn(async () => 'recovered');
      expect(await cache.wrap('bad', retry)).toBe('recovered');
      expect(retry).toHaveBeenCalledTimes(1);
    });

    it('does not store a load that a delete overtook', async () => {
      const cache = new AsyncTTLCache<string>();
      const gate = deferred<string>();
      const pending = cache.wrap('k', () => gate.promise);
      await cache.delete('k');
      gate.resolve('outdated');
      expect(await pending).toBe('outdated');
      expect(cache.peek('k')).toBeUndefined();
    });

    it('does not store a tagged load that an invalidation of its tag overtook', async () => {
      const cache = new AsyncTTLCache<string>();
      let finish: (value: string) => void = () => undefined;
      const loading = cache.wrap('k', () => new Promise<string>((resolve) => (finish = resolve)), { tags: ['t'] });
      await Promise.resolve();
      await cache.invalidateTags('t');
      finish('stale');
      expect(await loading).toBe('stale');
      expect(cache.peek('k')).toBeUndefined();
      // An untouched tag does not cancel the load.
      const other = cache.wrap('j', () => Promise.resolve('kept'), { tags: ['u'] });
      await cache.invalidateTags('t');
      expect(await other).toBe('kept');
      expect(cache.peek('j')).toBe('kept');
    });

    it('does not cache undefined', async () => {
      const cache = new AsyncTTLCache<string | undefined>();
      const loader = jest.fn(async () => undefined);
      await cache.wrap('nothing', loader);
      await cache.wrap('nothing', loader);
      expect(loader).toHaveBeenCalledTimes(2);
    });
  });

  describe('stale-while-revalidate', () => {
    it('serves the stale value at once while exactly one refresh runs', async () => {
      const clock = new ManualClock();
      const cache = new AsyncTTLCache<string>({ ttlMs: 1_000, staleWhileRevalidateMs: 5_000, clock });
      await cache.wrap('k', async () => 'v1');
      clock.advance(1_500);

      const gate = deferred<string>();
      const refresh = jest.fn(() => gate.promise);
      const served = await Promise.all(Array.from({ length: 30 }, () => cache.wrap('k', refresh)));
      expect(served).toEqual(Array(30).fill('v1'));
      expect(refresh).toHaveBeenCalledTimes(1);
      expect(cache.peek('k')).toBeUndefined(); // stale is for wrap only

      gate.resolve('v2');
      await tick();
      expect(await cache.wrap('k', refresh)).toBe('v2');
      expect(refresh).toHaveBeenCalledTimes(1);
      expect(cache.stats().staleServed).toBe(30);
    });

    it('keeps serving stale when the refresh fails, and loads again after the stale window', async () => {
      const clock = new ManualClock();
      const cache = new AsyncTTLCache<string>({ ttlMs: 100, staleWhileRevalidateMs: 1_000, clock });
      await cache.set('k', 'old');
      clock.advance(200);
      const failing = jest.fn(async () => {
        throw new Error('nope');
      });
      expect(await cache.wrap('k', failing)).toBe('old');
      await tick();
      expect(cache.stats().loadErrors).toBe(1);
      clock.advance(1_000);
      expect(await cache.wrap('k', async () => 'fresh')).toBe('fresh');
    });
  });

  describe('invalidation', () => {
    it('lists keys and drops them by prefix', async () => {
      const cache = new AsyncTTLCache<number>();
      for (const key of ['user:1', 'user:2', 'user:10', 'team:1']) await cache.set(key, 1);
      expect(cache.keys('user:').sort()).toEqual(['user:1', 'user:10', 'user:2']);
      expect(await cache.invalidatePrefix('user:1')).toBe(2);
      expect(cache.keys().sort()).toEqual(['team:1', 'user:2']);
    });

    it('drops every entry carrying a tag, and forgets tags of entries that left', async () => {
      const cache = new AsyncTTLCache<number>();
      await cache.set('a', 1, { tags: ['tickets', 'user:1'] });
      await cache.set('b', 2, { tags: ['tickets'] });
      await cache.set('c', 3, { tags: ['user:1'] });
      await cache.set('d', 4);
      expect(await cache.invalidateTags('tickets')).toBe(2);
      expect(cache.keys().sort()).toEqual(['c', 'd']);
      await cache.set('c', 5); // re-set without tags
      expect(await cache.invalidateTags('user:1')).toBe(0);
      expect(cache.peek('c')).toBe(5);
    });

    it('clears everything', async () => {
      const cache = new AsyncTTLCache<number>();
      for (let i = 0; i < 10; i++) await cache.set(`k${i}`, i);
      await cache.clear();
      expect(cache.size).toBe(0);
      expect(cache.bytes).toBe(0);
      await cache.set('again', 1);
      expect(cache.peek('again')).toBe(1);
      expect(cache.verify()).toBeUndefined();
    });
  });

  describe('purge', () => {
    it('frees expired entries one shard per call and all of them after one pass over the shards', async () => {
      const clock = new ManualClock();
      const cache = new AsyncTTLCache<number>({ ttlMs: 1_000, numShards: 4, maxEntries: 20_000, clock });
      for (let i = 0; i < 10_000; i++) await cache.set(`k${i}`, i);
      await cache.set('long', 1, { ttlMs: 60_000 });
      clock.advance(1_001);
      const perTick = [cache.purgeNextShard(), cache.purgeNextShard(), cache.purgeNextShard()];
      expect(perTick.every((n) => n > 2_000 && n < 3_000)).toBe(true);
      expect(cache.size).toBeGreaterThan(2_000);
      cache.purgeNextShard();
      expect(cache.size).toBe(1);
      expect(cache.stats().expirations).toBe(10_000);
      expect(cache.verify()).toBeUndefined();
    });
  });

  it('reports hits, misses and the hit rate', async () => {
    const cache = new AsyncTTLCache<number>();
    await cache.set('a', 1);
    await cache.get('a');
    cache.peek('a');
    await cache.get('b');
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 1, hitRate: 2 / 3, entries: 1, sets: 1 });
  });
});

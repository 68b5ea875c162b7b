import { describe, expect, it, jest } from '@jest/globals';
import { createCache } from 'cache-manager';
import { Keyv } from 'keyv';

import { AsyncTTLCache } from '../async-ttl-cache.js';
import type { CacheClock } from '../store/cache-clock.js';
import { createKeyv, KeyvCacheStore } from './keyv-cache.store.js';

class ManualClock implements CacheClock {
  constructor(public time: number) {}
  now(): number {
    return this.time;
  }
}

describe('KeyvCacheStore', () => {
  it('serves cache-manager 7: get, set with TTL in ms, del, mget, ttl and wrap', async () => {
    const cache = new AsyncTTLCache<unknown>({ ttlMs: 60_000 });
    const manager = createCache({ stores: [createKeyv(cache)] });

    await manager.set('ticket:1', { id: 1, title: 'printer' }, 5_000);
    expect(await manager.get('ticket:1')).toEqual({ id: 1, title: 'printer' });
    expect(cache.peek('ticket:1')).toEqual({ id: 1, title: 'printer' }); // same entry, same key
    const expires = await manager.ttl('ticket:1');
    expect(expires).toBeGreaterThan(Date.now() + 4_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 5_000);

    expect(await manager.mget(['ticket:1', 'nope'])).toEqual([{ id: 1, title: 'printer' }, undefined]);
    await manager.del('ticket:1');
    expect(cache.peek('ticket:1')).toBeUndefined();

    const loader = jest.fn(async () => 'loaded');
    const results = await Promise.all(Array.from({ length: 20 }, () => manager.wrap('w', loader, 1_000)));
    expect(results).toEqual(Array(20).fill('loaded'));
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it('keeps object identity (no serialisation) and honours the TTL through Keyv', async () => {
    const clock = new ManualClock(Date.now());
    const cache = new AsyncTTLCache<unknown>({ clock });
    const keyv = createKeyv<{ n: number }>(cache);
    const value = { n: 1 };
    await keyv.set('k', value, 100);
    expect(await keyv.get('k')).toBe(value);
    clock.time += 101;
    expect(await keyv.get('k')).toBeUndefined();
    expect(await keyv.has('k')).toBe(false);
  });

  it('works with Keyv serialisation on, and clears only its namespace', async () => {
    const cache = new AsyncTTLCache<unknown>();
    await cache.set('other', 'kept');
    const keyv = new Keyv({ store: new KeyvCacheStore(cache), namespace: 'app' });
    await keyv.set('a', { deep: [1, 2] });
    expect(cache.keys().sort()).toEqual(['app:a', 'other']);
    expect(typeof cache.peek('app:a')).toBe('string');
    expect(await keyv.get('a')).toEqual({ deep: [1, 2] });
    await keyv.clear();
    expect(cache.keys()).toEqual(['other']);
  });

  it('uses the bounds of the cache underneath', async () => {
    const cache = new AsyncTTLCache<unknown>({ maxEntries: 5, numShards: 1 });
    const manager = createCache({ stores: [createKeyv(cache)] });
    for (let i = 0; i < 50; i++) await manager.set(`k${i}`, i);
    expect(cache.size).toBe(5);
    expect(cache.stats().evictions.capacity).toBe(45);
  });
});

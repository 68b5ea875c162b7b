import { describe, expect, it } from '@jest/globals';
import {
  MEMORY_GOVERNOR,
  MemoryPriority,
  type MemoryConsumer,
  type MemoryGovernorRef,
  type MemoryReservation,
} from '@ballast/core';
import type { DynamicModule } from '@nestjs/common';
import { Test } from '@nestjs/testing';

import { AsyncTTLCache } from './async-ttl-cache.js';
import { CacheModule } from './cache.module.js';
import { cacheMemoryConsumer } from './cache.memory-consumer.js';
import { CacheRegistry } from './cache.registry.js';

/** The core contract, kept in memory: what the caches registered, and whether they left. */
class FakeGovernor implements MemoryGovernorRef {
  readonly level = 'normal' as const;
  readonly consumers = new Map<string, MemoryConsumer>();

  register(consumer: MemoryConsumer): () => void {
    if (this.consumers.has(consumer.name)) throw new Error(`duplicate consumer ${consumer.name}`);
    this.consumers.set(consumer.name, consumer);
    return () => this.consumers.delete(consumer.name);
  }

  reserve(bytes: number, owner: string): MemoryReservation {
    const release = (): void => undefined;
    return { bytes, owner, release, [Symbol.dispose]: release };
  }
}

/** Provides the governor globally under core's token, as MemoryModule does. */
class FakeMemoryModule {}
const governorModule = (governor: MemoryGovernorRef): DynamicModule => ({
  module: FakeMemoryModule,
  global: true,
  providers: [{ provide: MEMORY_GOVERNOR, useValue: governor }],
  exports: [MEMORY_GOVERNOR],
});

const KB = 1024;
const value = (): string => 'x'.repeat(KB);

async function fill(cache: AsyncTTLCache<string>, keys: number, prefix = 'k'): Promise<void> {
  for (let i = 0; i < keys; i++) await cache.set(`${prefix}${i}`, value());
}

describe('caches as memory consumers', () => {
  it('describe the cache by name, priority and its own byte count', async () => {
    const cache = new AsyncTTLCache<string>({ name: 'tickets', numShards: 1 });
    const consumer = cacheMemoryConsumer(cache);
    expect([consumer.name, consumer.priority, consumer.currentBytes()]).toEqual([
      'cache:tickets',
      MemoryPriority.CACHE,
      0,
    ]);
    await fill(cache, 10);
    expect(consumer.currentBytes()).toBe(cache.bytes);
    expect(cache.bytes).toBeGreaterThan(10 * KB);
  });

  it('shrink(bytes) evicts about that much by the cache policy, keeping keys read again', async () => {
    const cache = new AsyncTTLCache<string>({ numShards: 1 });
    await fill(cache, 100);
    for (let i = 0; i < 10; i++) await cache.get(`k${i}`); // read again: the s3-fifo policy keeps these longest
    const consumer = cacheMemoryConsumer(cache);
    const before = cache.bytes;
    const freed = await consumer.shrink(before / 2);
    expect(freed).toBeGreaterThanOrEqual(before / 2);
    expect(freed).toBeLessThan(before / 2 + 2 * KB); // one entry past the amount at most
    expect(cache.bytes).toBe(before - freed);
    for (let i = 0; i < 10; i++) expect(cache.peek(`k${i}`)).toBe(value());
    expect(cache.stats().evictions).toEqual({ capacity: 0, bytes: 0, memory: 100 - cache.size });
    expect(cache.verify()).toBeUndefined();
  });

  it('shrink answers 0 on an empty cache and frees everything when asked for more than it holds', async () => {
    const cache = new AsyncTTLCache<string>();
    expect(cache.shrink(1_000_000)).toBe(0);
    await fill(cache, 5);
    const held = cache.bytes;
    expect(cache.shrink(10 * held)).toBe(held);
    expect(cache.size).toBe(0);
  });

  it('a growth cap holds the cache under it while pressure lasts, and it grows back once lifted', async () => {
    const cache = new AsyncTTLCache<string>({ numShards: 2 });
    await fill(cache, 40);
    const full = cache.bytes;
    const cap = Math.floor(full / 4);
    cache.setGrowthCap(cap);
    expect(cache.growthCap).toBe(cap);
    expect(cache.bytes).toBeLessThanOrEqual(cap); // evicted down to the cap at once
    await fill(cache, 40, 'n');
    expect(cache.bytes).toBeLessThanOrEqual(cap); // and stays under it as writes come
    expect(cache.stats().evictions.bytes).toBe(0);
    expect(cache.stats().evictions.memory).toBeGreaterThan(40);
    expect(cache.verify()).toBeUndefined();

    cache.setGrowthCap(undefined);
    expect(cache.growthCap).toBeUndefined();
    await fill(cache, 40, 'm');
    expect(cache.bytes).toBeGreaterThan(2 * cap);
  });

  it('a cap never raises the bound above maxBytes', async () => {
    const cache = new AsyncTTLCache<string>({ maxBytes: 8 * KB, numShards: 1 });
    cache.setGrowthCap(1_000_000);
    await fill(cache, 20);
    expect(cache.bytes).toBeLessThanOrEqual(8 * KB);
  });

  it('CacheModule registers every cache with an injected governor and leaves it on shutdown', async () => {
    const governor = new FakeGovernor();
    const moduleRef = await Test.createTestingModule({
      imports: [governorModule(governor), CacheModule.forRoot({ caches: { tickets: { maxEntries: 100 } } })],
    }).compile();
    const registry = moduleRef.get(CacheRegistry);
    expect([...governor.consumers.keys()].sort()).toEqual(['cache:default', 'cache:tickets']);

    const tickets = registry.get<string>('tickets');
    await fill(tickets, 10);
    const consumer = governor.consumers.get('cache:tickets')!;
    expect(consumer.currentBytes()).toBe(tickets.bytes);
    consumer.setGrowthCap(0);
    expect(tickets.size).toBe(0);

    await moduleRef.close();
    expect(governor.consumers.size).toBe(0);
  });

  it('CacheModule without a governor registers nothing and works as before', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [CacheModule.forRoot({})] }).compile();
    const cache = moduleRef.get(CacheRegistry).get<string>();
    await cache.set('a', 'b');
    expect(await cache.get('a')).toBe('b');
    expect(cache.growthCap).toBeUndefined();
    await moduleRef.close();
  });
});

import { describe, expect, it } from '@jest/globals';
import {
  MEMORY_GOVERNOR,
  MemoryPriority,
  MemoryReservationRefusedError,
  type MemoryConsumer,
  type MemoryGovernorRef,
  type MemoryReservation,
} from '@ballast/core';
import type { DynamicModule } from '@nestjs/common';
import { Test } from '@nestjs/testing';

import { ModelCache } from './model-cache.js';
import { RESULT_CACHE } from './neural.constants.js';
import { modelCacheMemoryConsumer, resultCacheMemoryConsumer } from './neural.memory.js';
import { NeuralModule } from './neural.module.js';
import { ResultCache, type TensorMap } from './result-cache.js';
import { FakeModelLoader } from './testing/index.js';

const MB = 1024 * 1024;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The core contract in memory: registered consumers, reservations taken (and whether released), refusals. */
class FakeGovernor implements MemoryGovernorRef {
  readonly level = 'normal' as const;
  readonly consumers = new Map<string, MemoryConsumer>();
  readonly reservations: { bytes: number; owner: string; released: boolean }[] = [];
  refuse = false;

  register(consumer: MemoryConsumer): () => void {
    if (this.consumers.has(consumer.name)) throw new Error(`duplicate consumer ${consumer.name}`);
    this.consumers.set(consumer.name, consumer);
    return () => this.consumers.delete(consumer.name);
  }

  reserve(bytes: number, owner: string): MemoryReservation {
    if (this.refuse) {
      throw new MemoryReservationRefusedError({
        owner,
        requestedBytes: bytes,
        usedBytes: 900 * MB,
        reservedBytes: 0,
        criticalBytes: 921 * MB,
        limitBytes: 1024 * MB,
        retryAfterMs: 1_000,
      });
    }
    const record = { bytes, owner, released: false };
    this.reservations.push(record);
    const release = (): void => {
      record.released = true;
    };
    return { bytes, owner, release, [Symbol.dispose]: release };
  }
}

class FakeMemoryModule {}
const governorModule = (governor: MemoryGovernorRef): DynamicModule => ({
  module: FakeMemoryModule,
  global: true,
  providers: [{ provide: MEMORY_GOVERNOR, useValue: governor }],
  exports: [MEMORY_GOVERNOR],
});

const tensors = (bytes: number, seed: number): TensorMap => ({
  x: { data: new Float32Array(bytes / 4).fill(seed), dims: [bytes / 4] },
});

describe('the model cache as a memory consumer', () => {
  it('shrinks by unloading least recently used models nobody leases, answering the bytes freed', async () => {
    const loader = new FakeModelLoader({ a: 10 * MB, b: 20 * MB, c: 30 * MB });
    const cache = new ModelCache(loader, { maxBytes: 100 * MB });
    await cache.warmUp(['a', 'b', 'c']);
    const consumer = modelCacheMemoryConsumer(cache);
    expect([consumer.name, consumer.priority, consumer.currentBytes()]).toEqual([
      'neural:models',
      MemoryPriority.MODELS,
      60 * MB,
    ]);
    (await cache.getOrLoad('a')).release(); // a is now the most recently used
    expect(await consumer.shrink(25 * MB)).toBe(50 * MB); // b, then c: each whole
    expect(loader.disposals).toEqual(['b', 'c']);
    expect(cache.stats().unloads.memory).toBe(2);
    expect(consumer.currentBytes()).toBe(10 * MB);
    expect(await consumer.shrink(0)).toBe(0);
    await cache.close();
  });

  it('never releases a model under a lease: it unloads when the lease ends, and is not counted as freed', async () => {
    const loader = new FakeModelLoader({ a: 10 * MB, b: 20 * MB });
    const cache = new ModelCache(loader, { maxBytes: 100 * MB });
    const leaseA = await cache.getOrLoad('a');
    const leaseB = await cache.getOrLoad('b');
    const freed = await cache.shrink(15 * MB);
    expect(freed).toBe(0);
    expect(loader.disposals).toEqual([]);
    expect(leaseA.model.run(2)).toBe(4); // still usable under its lease
    leaseA.release();
    await tick();
    await tick();
    expect(loader.disposals).toEqual(['a']); // unloaded once its lease ended
    expect(leaseB.model.disposed).toBe(false); // 10 MB from a was not enough; b was marked too
    leaseB.release();
    await tick();
    await tick();
    expect(loader.disposals).toEqual(['a', 'b']);
    await cache.close();
  });

  it('keeps pinned models', async () => {
    const loader = new FakeModelLoader({ a: 10 * MB });
    const cache = new ModelCache(loader, { maxBytes: 100 * MB });
    await cache.warmUp([{ name: 'a', pin: true }]);
    expect(await cache.shrink(10 * MB)).toBe(0);
    expect(loader.disposals).toEqual([]);
    await cache.close();
  });

  it('under a growth cap, unloads down to it and loads within it; lifted, grows back', async () => {
    const loader = new FakeModelLoader({ a: 10 * MB, b: 20 * MB, c: 30 * MB });
    const cache = new ModelCache(loader, { maxBytes: 100 * MB });
    await cache.warmUp(['a', 'b']);
    cache.setGrowthCap(25 * MB);
    await tick();
    await tick();
    expect(cache.memoryCap).toBe(25 * MB);
    expect(cache.chargedBytes()).toBeLessThanOrEqual(25 * MB);
    (await cache.getOrLoad('b')).release(); // 20 MB fits under the cap, evicting what is needed
    expect(cache.chargedBytes()).toBeLessThanOrEqual(25 * MB);
    const refused = await cache.getOrLoad('c').catch((error: unknown) => error);
    expect((refused as Error).message).toBe(
      `Model c@cpu needs about ${30 * MB} bytes, more than the ${25 * MB} bytes the cache is capped at under memory pressure`,
    );
    expect(cache.models().map((m) => [m.name, m.state])).toEqual([['b', 'ready']]); // nothing unloaded for it

    cache.setGrowthCap(undefined);
    expect(cache.memoryCap).toBeUndefined();
    await cache.warmUp(['a', 'c']);
    expect(cache.chargedBytes()).toBe(60 * MB);
    await cache.close();
  });

  it('takes a reservation for the predicted size while a model loads, released after the load', async () => {
    const governor = new FakeGovernor();
    const loader = new FakeModelLoader({ a: 10 * MB }, 20);
    const cache = new ModelCache(loader, { maxBytes: 100 * MB });
    cache.reserveMemory = (bytes, owner) => governor.reserve(bytes, owner);
    const loading = cache.getOrLoad('a');
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(governor.reservations).toEqual([{ bytes: 10 * MB, owner: 'neural:load:a@cpu', released: false }]);
    (await loading).release();
    expect(governor.reservations[0]!.released).toBe(true);
    await cache.close();
  });

  it('fails a load whose reservation is refused, without caching the failure', async () => {
    const governor = new FakeGovernor();
    governor.refuse = true;
    const loader = new FakeModelLoader({ a: 10 * MB });
    const cache = new ModelCache(loader, { maxBytes: 100 * MB, failedLoadTtlMs: 60_000 });
    cache.reserveMemory = (bytes, owner) => governor.reserve(bytes, owner);
    await expect(cache.getOrLoad('a')).rejects.toBeInstanceOf(MemoryReservationRefusedError);
    expect(loader.loads).toEqual([]);
    governor.refuse = false;
    (await cache.getOrLoad('a')).release(); // tried again at once, not answered from a cached failure
    expect(loader.loads).toEqual(['a']);
    expect(cache.chargedBytes()).toBe(10 * MB);
    await cache.close();
  });
});

describe('the result cache as a memory consumer', () => {
  it('shrinks least recently used results first and caps its growth while pressure lasts', async () => {
    const results = new ResultCache({ maxEntries: 100, maxBytes: 10 * MB, ttlMs: 0 });
    for (let i = 0; i < 8; i++) results.set(`k${i}`, 'm@cpu', tensors(MB / 2, i));
    const consumer = resultCacheMemoryConsumer(results);
    expect([consumer.name, consumer.priority]).toEqual(['neural:results', MemoryPriority.RESULTS]);
    const held = consumer.currentBytes();
    expect(held).toBeGreaterThan(4 * MB);
    results.get('k0'); // most recently used now
    const freed = await consumer.shrink(MB);
    expect(freed).toBeGreaterThanOrEqual(MB);
    expect(results.get('k1')).toBeUndefined();
    expect(results.get('k0')).toBeDefined();

    consumer.setGrowthCap(MB);
    expect(results.heldBytes).toBeLessThanOrEqual(MB);
    for (let i = 10; i < 20; i++) results.set(`k${i}`, 'm@cpu', tensors(MB / 4, i));
    expect(results.heldBytes).toBeLessThanOrEqual(MB);
    consumer.setGrowthCap(undefined);
    for (let i = 20; i < 30; i++) results.set(`k${i}`, 'm@cpu', tensors(MB / 4, i));
    expect(results.heldBytes).toBeGreaterThan(2 * MB);
  });
});

describe('NeuralModule with and without a governor', () => {
  it('registers the model and result caches and reserves for loads when a governor is injected', async () => {
    const governor = new FakeGovernor();
    const loader = new FakeModelLoader({ a: 10 * MB });
    const moduleRef = await Test.createTestingModule({
      imports: [governorModule(governor), NeuralModule.forRoot({ loader, resultCache: { enabled: true } })],
    }).compile();
    await moduleRef.init();
    expect([...governor.consumers.keys()].sort()).toEqual(['neural:models', 'neural:results']);
    (await moduleRef.get(ModelCache).getOrLoad('a')).release();
    expect(governor.reservations.map((r) => [r.owner, r.released])).toEqual([['neural:load:a@cpu', true]]);
    await moduleRef.close();
    expect(governor.consumers.size).toBe(0);
  });

  it('without a governor registers nothing and loads without reservations', async () => {
    const loader = new FakeModelLoader({ a: 10 * MB });
    const moduleRef = await Test.createTestingModule({ imports: [NeuralModule.forRoot({ loader })] }).compile();
    await moduleRef.init();
    const cache = moduleRef.get(ModelCache);
    expect(cache.reserveMemory).toBeUndefined();
    expect(moduleRef.get(RESULT_CACHE)).toBeNull();
    (await cache.getOrLoad('a')).release();
    expect(cache.chargedBytes()).toBe(10 * MB);
    await moduleRef.close();
  });
});

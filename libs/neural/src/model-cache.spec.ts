import { describe, expect, it } from '@jest/globals';

import { ModelCache } from './model-cache.js';
import { ModelCacheClosedError, ModelCapacityError, ModelLoadError, ModelLoadTimeoutError } from './neural.errors.js';
import { FakeModelLoader } from './testing/index.js';

const MB = 1024 * 1024;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ModelCache', () => {
  it('loads a model once for 100 concurrent callers (single-flight)', async () => {
    const loader = new FakeModelLoader({ a: MB }, 20);
    const cache = new ModelCache(loader);
    const leases = await Promise.all(Array.from({ length: 100 }, () => cache.getOrLoad('a')));
    expect(loader.loads).toEqual(['a']);
    expect(new Set(leases.map((l) => l.model)).size).toBe(1);
    expect(cache.stats().leases).toBe(100);
    leases.forEach((l) => l.release());
    expect(cache.stats().leases).toBe(0);
    await cache.close();
  });

  it('loads different models in parallel up to loadConcurrency', async () => {
    const loader = new FakeModelLoader({ a: 1, b: 1, c: 1, d: 1, e: 1 }, 30);
    const cache = new ModelCache(loader, { loadConcurrency: 3 });
    const leases = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((n) => cache.getOrLoad(n)));
    expect(loader.maxActive).toBe(3);
    expect(loader.loads.sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    leases.forEach((l) => l.release());
    await cache.close();
  });

  it('caches a failed load with its error for failedLoadTtlMs, then tries again', async () => {
    const loader = new FakeModelLoader({ a: 1 });
    loader.failures.set('a', 1);
    const cache = new ModelCache(loader, { failedLoadTtlMs: 50 });
    const first = await cache.getOrLoad('a').catch((e: unknown) => e);
    const second = await cache.getOrLoad('a').catch((e: unknown) => e);
    expect(first).toBeInstanceOf(ModelLoadError);
    expect((first as Error).message).toBe('Loading model a@cpu failed: cannot load a');
    expect(second).toBe(first);
    expect(loader.loads).toEqual(['a']);
    expect(cache.stats()).toMatchObject({ loadFailures: 1, cachedFailureHits: 1, chargedBytes: 0 });
    await new Promise((resolve) => setTimeout(resolve, 60));
    const lease = await cache.getOrLoad('a');
    expect(lease.model.run(2)).toBe(4);
    expect(loader.loads).toEqual(['a', 'a']);
    lease.release();
    await cache.close();
  });

  it('evicts the least recently used model when the count bound is reached', async () => {
    const loader = new FakeModelLoader({ a: 1, b: 1, c: 1 });
    const cache = new ModelCache(loader, { maxModels: 2 });
    (await cache.getOrLoad('a')).release();
    (await cache.getOrLoad('b')).release();
    (await cache.getOrLoad('a')).release(); // a is now the most recent
    (await cache.getOrLoad('c')).release();
    await tick();
    expect(loader.disposals).toEqual(['b']);
    expect(
      cache
        .models()
        .map((m) => m.name)
        .sort(),
    ).toEqual(['a', 'c']);
    expect(cache.stats().unloads.capacity).toBe(1);
    await cache.close();
  });

  it('bounds by bytes: charges the prediction first and keeps unloading bytes charged until released', async () => {
    const loader = new FakeModelLoader({ a: 40, b: 40, c: 40 });
    const cache = new ModelCache(loader, { maxBytes: 100, maxModels: 10 });
    const a = await cache.getOrLoad('a');
    (await cache.getOrLoad('b')).release();
    let loadedC = false;
    // b is idle, a is leased: b goes first.
    const c = cache.getOrLoad('c').then((lease) => ((loadedC = true), lease));
    await tick();
    expect(loader.disposals).toEqual(['b']);
    const leaseC = await c;
    expect(loadedC).toBe(true);
    expect(cache.stats().peakChargedBytes).toBeLessThanOrEqual(100);
    a.release();
    leaseC.release();
    await cache.close();
  });

  it('corrects the charge to the measured size after loading', async () => {
    const loader = new FakeModelLoader({ a: 10 });
    loader.actualFactor = 3;
    const cache = new ModelCache(loader, { maxBytes: 100 });
    (await cache.getOrLoad('a')).release();
    expect(cache.chargedBytes()).toBe(30);
    expect(cache.models()[0]).toMatchObject({ weightsBytes: 30, totalBytes: 30 });
    await cache.close();
  });

  it('rejects a model larger than maxBytes without loading it', async () => {
    const loader = new FakeModelLoader({ huge: 200 });
    const cache = new ModelCache(loader, { maxBytes: 100 });
    await expect(cache.getOrLoad('huge')).rejects.toBeInstanceOf(ModelCapacityError);
    expect(loader.loads).toEqual([]);
    expect(cache.stats().tooLarge).toBe(1);
    await cache.close();
  });

  it('never evicts a pinned model; fails when only pinned models fill the cache', async () => {
    const loader = new FakeModelLoader({ a: 60, b: 60 });
    const cache = new ModelCache(loader, { maxBytes: 100, failedLoadTtlMs: 0 });
    (await cache.getOrLoad('a', { pin: true })).release();
    await expect(cache.getOrLoad('b')).rejects.toBeInstanceOf(ModelCapacityError);
    expect(loader.disposals).toEqual([]);
    cache.unpin('a');
    (await cache.getOrLoad('b')).release();
    expect(loader.disposals).toEqual(['a']);
    await cache.close();
  });

  it('unloads models idle longer than idleTtlMs, but not pinned or leased ones', async () => {
    const loader = new FakeModelLoader({ a: 1, b: 1, c: 1 });
    const cache = new ModelCache(loader, { idleTtlMs: 1_000 });
    (await cache.getOrLoad('a')).release();
    (await cache.getOrLoad('b', { pin: true })).release();
    const c = await cache.getOrLoad('c');
    expect(cache.cleanup(Date.now() + 500).idleUnloaded).toBe(0);
    expect(cache.cleanup(Date.now() + 2_000).idleUnloaded).toBe(1);
    await tick();
    expect(loader.disposals).toEqual(['a']);
    expect(cache.stats().unloads.idle).toBe(1);
    c.release();
    await cache.close();
  });

  it('an eviction while a lease is held waits, and the holder still runs the model', async () => {
    const loader = new FakeModelLoader({ a: 60, b: 60 });
    const cache = new ModelCache(loader, { maxBytes: 100 });
    const a = await cache.getOrLoad('a');
    const b = cache.getOrLoad('b');
    await tick();
    expect(cache.models().find((m) => m.name === 'a')?.state).toBe('unloading');
    expect(a.model.disposed).toBe(false);
    expect(a.model.run(21)).toBe(42);
    expect(loader.loads).toEqual(['a']); // b waits: a's bytes stay charged
    a.release();
    const leaseB = await b;
    expect(a.model.disposed).toBe(true);
    expect(cache.stats().peakChargedBytes).toBeLessThanOrEqual(100);
    leaseB.release();
    await cache.close();
  });

  it('a caller holding the only model while asking for another fails after loadTimeoutMs instead of hanging', async () => {
    const loader = new FakeModelLoader({ a: 60, b: 60 });
    const cache = new ModelCache(loader, { maxBytes: 100, loadTimeoutMs: 30, failedLoadTtlMs: 0 });
    const a = await cache.getOrLoad('a');
    await expect(cache.getOrLoad('b')).rejects.toThrow(/No room for model b@cpu within 30 ms/);
    expect(a.model.run(1)).toBe(2);
    a.release();
    await tick();
    expect(loader.disposals).toEqual(['a']);
    (await cache.getOrLoad('b')).release();
    await cache.close();
  });

  it('reports a stuck lease instead of breaking it', async () => {
    const warnings: string[] = [];
    const cache = new ModelCache(
      new FakeModelLoader({ a: 1 }),
      { stuckLeaseMs: 1_000, captureLeaseStacks: true },
      {},
      {
        warn: (m) => warnings.push(m),
      },
    );
    const lease = await cache.getOrLoad('a');
    expect(cache.cleanup().stuck).toEqual([]);
    const { stuck } = cache.cleanup(Date.now() + 5_000);
    expect(stuck).toHaveLength(1);
    expect(stuck[0]!.key).toBe('a@cpu');
    expect(stuck[0]!.stack).toContain('lease taken here');
    expect(warnings[0]).toMatch(/a@cpu held for/);
    expect(lease.model.disposed).toBe(false);
    lease.release();
    await cache.close();
  });

  it('works with await using', async () => {
    const cache = new ModelCache(new FakeModelLoader({ a: 1 }));
    {
      await using lease = await cache.getOrLoad('a');
      expect(cache.stats().leases).toBe(1);
      expect(lease.model.run(1)).toBe(2);
    }
    expect(cache.stats().leases).toBe(0);
    await cache.close();
  });

  it('times out a slow load and releases the model when it finally arrives', async () => {
    const loader = new FakeModelLoader({ a: 10 });
    let open!: () => void;
    loader.gate = new Promise<void>((resolve) => (open = resolve));
    const cache = new ModelCache(loader, { loadTimeoutMs: 20, failedLoadTtlMs: 0 });
    await expect(cache.getOrLoad('a')).rejects.toBeInstanceOf(ModelLoadTimeoutError);
    expect(cache.chargedBytes()).toBe(10); // still charged: the load may be holding memory
    open();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(cache.chargedBytes()).toBe(0);
    await cache.close();
  });

  it('warms models up ahead of traffic', async () => {
    const loader = new FakeModelLoader({ a: 1, b: 1 });
    const cache = new ModelCache(loader);
    await cache.warmUp(['a', { name: 'b', pin: true }]);
    expect(cache.models().map((m) => [m.name, m.pinned])).toEqual([
      ['a', false],
      ['b', true],
    ]);
    expect(cache.stats().misses).toBe(2);
    (await cache.getOrLoad('a')).release();
    expect(cache.stats().hits).toBe(1);
    await cache.close();
  });

  it('close() waits for leases, releases every model and refuses new work', async () => {
    const loader = new FakeModelLoader({ a: 1, b: 1 });
    const cache = new ModelCache(loader, { drainTimeoutMs: 5_000 });
    const a = await cache.getOrLoad('a');
    (await cache.getOrLoad('b')).release();
    const closed = cache.close();
    await tick();
    expect(loader.disposals).toEqual(['b']);
    a.release();
    expect(await closed).toEqual({ forced: [] });
    expect(loader.disposals.sort()).toEqual(['a', 'b']);
    await expect(cache.getOrLoad('a')).rejects.toBeInstanceOf(ModelCacheClosedError);
  });

  it('close() releases models with stuck leases after drainTimeoutMs and says so', async () => {
    const loader = new FakeModelLoader({ a: 1 });
    const cache = new ModelCache(loader, { drainTimeoutMs: 20, stuckLeaseMs: 0 });
    await cache.getOrLoad('a');
    const { forced } = await cache.close();
    expect(forced.map((f) => f.key)).toEqual(['a@cpu']);
    expect(loader.disposals).toEqual(['a']);
  });

  it('keeps charged bytes under the cap through random loads with leases', async () => {
    const sizes: Record<string, number> = {};
    for (let i = 0; i < 20; i++) sizes[`m${i}`] = 1 + ((i * 37) % 50);
    const loader = new FakeModelLoader(sizes, 1);
    const cache = new ModelCache(loader, { maxBytes: 120, maxModels: 6, loadConcurrency: 3 });
    let seed = 3;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
    await Promise.all(
      Array.from({ length: 200 }, async () => {
        const lease = await cache.getOrLoad(`m${Math.floor(next() * 20)}`);
        expect(lease.model.run(1)).toBe(2);
        await tick();
        lease.release();
      }),
    );
    const stats = cache.stats();
    expect(stats.peakChargedBytes).toBeLessThanOrEqual(120);
    expect(stats.loads).toBeGreaterThan(6);
    await cache.close();
    expect(cache.chargedBytes()).toBe(0);
  });
});

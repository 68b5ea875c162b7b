import { describe, expect, it } from '@jest/globals';

import { ModelCache } from './model-cache.js';
import { neuralHealth } from './neural.health.js';
import { NeuralReporter } from './neural.reporter.js';
import { FakeModelLoader } from './testing/index.js';

describe('NeuralReporter', () => {
  it('recommends a larger byte bound when the hit rate is below 70% and models are evicted for capacity', async () => {
    const sizes: Record<string, number> = {};
    for (let i = 0; i < 10; i++) sizes[`m${i}`] = 30;
    const cache = new ModelCache(new FakeModelLoader(sizes), { maxBytes: 100, maxModels: 10, idleTtlMs: 60_000 });
    for (let i = 0; i < 120; i++) (await cache.getOrLoad(`m${i % 10}`)).release();
    const report = new NeuralReporter(cache, null).report();
    expect(report.metrics.hitRate).toBeLessThan(0.7);
    const messages = report.recommendations.map((r) => r.message);
    expect(messages.some((m) => /hit rate \d+% \(below 70%\).*raise maxBytes from 100 to 200/.test(m))).toBe(true);
    expect(messages.some((m) => /thrashing/.test(m))).toBe(true);
    expect(report.efficiencyScore).toBeLessThan(50);
    expect(report.metrics.allocationsPerSecond).toBeGreaterThan(0);
    await cache.close();
  });

  it('flags a model larger than the byte bound with the size to set', async () => {
    const cache = new ModelCache(new FakeModelLoader({ big: 3 * 1024 * 1024 }), { maxBytes: 1024 * 1024 });
    await cache.getOrLoad('big').catch(() => undefined);
    const [recommendation] = new NeuralReporter(cache, null).report().recommendations;
    expect(recommendation).toMatchObject({ severity: 'critical', setting: { name: 'maxBytes', current: 1024 * 1024 } });
    expect(recommendation!.setting!.suggested as number).toBeGreaterThanOrEqual(3 * 1024 * 1024);
    await cache.close();
  });

  it('makes no recommendation for a cache that fits its working set', async () => {
    const cache = new ModelCache(new FakeModelLoader({ a: 1, b: 1 }));
    for (let i = 0; i < 200; i++) (await cache.getOrLoad(i % 2 ? 'a' : 'b')).release();
    const report = new NeuralReporter(cache, null).report();
    expect(report.recommendations).toEqual([]);
    expect(report.efficiencyScore).toBeGreaterThan(90);
    expect(report.health.status).toBe('healthy');
    expect(report.metrics.modelList).toBe('b@cpu=1,a@cpu=1'); // least recently used first
    await cache.close();
  });

  it('health is degraded while a lease is stuck or a load keeps failing', async () => {
    const loader = new FakeModelLoader({ a: 1, bad: 1 });
    loader.failures.set('bad', 1);
    const cache = new ModelCache(loader, { stuckLeaseMs: 0 });
    const lease = await cache.getOrLoad('a');
    expect(neuralHealth(cache)).toMatchObject({ status: 'degraded', reason: expect.stringMatching(/held too long/) });
    lease.release();
    await cache.getOrLoad('bad').catch(() => undefined);
    expect(neuralHealth(cache)).toMatchObject({ status: 'degraded', reason: 'Loading failed for bad@cpu' });
    await cache.unload('bad');
    expect(neuralHealth(cache).status).toBe('healthy');
    await cache.close();
  });
});

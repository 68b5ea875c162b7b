import { describe, expect, it } from '@jest/globals';

import { ResultCache, resultKey, type TensorMap } from './result-cache.js';

const tensor = (values: number[]): TensorMap => ({ x: { data: Float32Array.from(values), dims: [1, values.length] } });
const output = (bytes: number): TensorMap => ({ y: { data: new Uint8Array(bytes), dims: [bytes] } });

describe('ResultCache', () => {
  it('keys by model, input names, shapes and bytes', () => {
    expect(resultKey('m', tensor([1, 2]))).toBe(resultKey('m', tensor([1, 2])));
    expect(resultKey('m', tensor([1, 2]))).not.toBe(resultKey('m', tensor([1, 3])));
    expect(resultKey('m', tensor([1, 2]))).not.toBe(resultKey('n', tensor([1, 2])));
    const reshaped: TensorMap = { x: { data: Float32Array.from([1, 2]), dims: [2, 1] } };
    expect(resultKey('m', tensor([1, 2]))).not.toBe(resultKey('m', reshaped));
  });

  it('computes once per input, including for concurrent callers', async () => {
    const cache = new ResultCache({ maxEntries: 10, maxBytes: 1_000_000, ttlMs: 0 });
    let computed = 0;
    const compute = async () => (computed++, output(16));
    const results = await Promise.all(Array.from({ length: 10 }, () => cache.getOrCompute('m', tensor([1]), compute)));
    await cache.getOrCompute('m', tensor([1]), compute);
    expect(computed).toBe(1);
    expect(new Set(results).size).toBe(1);
    expect(cache.stats().hits).toBeGreaterThanOrEqual(1);
  });

  it('stays within its byte bound, evicting least recently used results, and tracks bytes per model', async () => {
    const cache = new ResultCache({ maxEntries: 100, maxBytes: 3_000, ttlMs: 0 });
    for (let i = 0; i < 10; i++) await cache.getOrCompute(i % 2 ? 'a' : 'b', tensor([i]), async () => output(500));
    const stats = cache.stats();
    expect(stats.bytes).toBeLessThanOrEqual(3_000);
    expect(stats.evictions).toBeGreaterThan(0);
    expect(cache.bytesOf('a') + cache.bytesOf('b')).toBe(stats.bytes);
    await cache.getOrCompute('a', tensor([99]), async () => output(10_000));
    expect(cache.stats().rejected).toBe(1);
    expect(cache.invalidate('a')).toBeGreaterThan(0);
    expect(cache.bytesOf('a')).toBe(0);
  });

  it('expires results after ttlMs', async () => {
    const cache = new ResultCache({ maxEntries: 10, maxBytes: 100_000, ttlMs: 1_000 });
    await cache.getOrCompute('m', tensor([1]), async () => output(8));
    expect(cache.purgeExpired(Date.now() + 500)).toBe(0);
    expect(cache.purgeExpired(Date.now() + 2_000)).toBe(1);
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0, expirations: 1 });
  });
});

import { describe, expect, it } from '@jest/globals';

import { jitteredBackoff } from './backoff.js';
import { BucketHistogram, histogramDelta, histogramQuantile } from './bucket-histogram.js';

describe('BucketHistogram', () => {
  it('puts each value in the first bucket whose bound is >= it (Prometheus le)', () => {
    const h = new BucketHistogram([1, 10, 100]);
    for (const v of [0, 1, 1.5, 10, 50, 1_000]) h.observe(v);
    const s = h.snapshot();
    expect([...s.counts]).toEqual([2, 2, 1, 1]);
    expect(s.count).toBe(6);
    expect(s.sumMs).toBeCloseTo(1_062.5);
  });

  it('estimates quantiles by interpolating inside the bucket', () => {
    const h = new BucketHistogram([10, 20]);
    for (let i = 0; i < 10; i++) h.observe(15);
    expect(histogramQuantile(h.snapshot(), 0.5)).toBeCloseTo(15);
    expect(histogramQuantile(new BucketHistogram([1]).snapshot(), 0.5)).toBe(0);
  });

  it('subtracts an earlier snapshot to describe a window', () => {
    const h = new BucketHistogram([1, 10]);
    h.observe(0.5);
    const before = h.snapshot();
    h.observe(5);
    h.observe(5);
    const delta = histogramDelta(h.snapshot(), before);
    expect(delta.count).toBe(2);
    expect([...delta.counts]).toEqual([0, 2, 0]);
    expect(delta.sumMs).toBe(10);
  });

  it('rejects bounds that are not increasing', () => {
    expect(() => new BucketHistogram([1, 1])).toThrow(RangeError);
  });
});

describe('jitteredBackoff', () => {
  it('doubles per attempt up to the cap, always pausing at least half the step', () => {
    expect(jitteredBackoff(1, 100, 1_000, () => 0)).toBe(50);
    expect(jitteredBackoff(1, 100, 1_000, () => 1)).toBe(100);
    expect(jitteredBackoff(3, 100, 1_000, () => 0.5)).toBe(300);
    expect(jitteredBackoff(20, 100, 1_000, () => 1)).toBe(1_000);
    expect(jitteredBackoff(20, 100, 1_000, () => 0)).toBe(500);
  });
});

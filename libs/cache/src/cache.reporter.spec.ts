import { describe, expect, it } from '@jest/globals';

import { cacheRecommendations, cacheScore } from './cache.reporter.js';
import type { CacheStats } from './interfaces/cache-stats.interface.js';

const base: CacheStats = {
  name: 'tickets',
  policy: 's3-fifo',
  entries: 1_000,
  bytes: 500_000,
  maxEntries: 1_000,
  maxBytes: 10_000_000,
  hits: 0,
  misses: 0,
  staleHits: 0,
  hitRate: 0,
  evictions: { capacity: 0, bytes: 0, memory: 0 },
  expirations: 0,
  invalidations: 0,
  rejected: 0,
  inflight: 0,
  readShare: 1,
  sets: 0,
  loads: 0,
  loadErrors: 0,
  loadTimeMs: 0,
  coalesced: 0,
  staleServed: 0,
  l2Hits: 0,
  l2Misses: 0,
  l2Errors: 0,
  remoteInvalidations: 0,
  invalidationAckTimeouts: 0,
  l2: 'none',
};

describe('cache score and recommendations', () => {
  it('weighs hit rate 60%, low eviction rate 20%, memory efficiency 20%', () => {
    expect(cacheScore({ ...base, hitRate: 1, sets: 100, readShare: 1 })).toBe(100);
    expect(
      cacheScore({
        ...base,
        hitRate: 0.5,
        sets: 100,
        evictions: { capacity: 50, bytes: 0, memory: 0 },
        readShare: 0.5,
      }),
    ).toBe(30 + 10 + 10);
    expect(
      cacheScore({ ...base, hitRate: 0, sets: 10, evictions: { capacity: 100, bytes: 0, memory: 0 }, readShare: 0 }),
    ).toBe(0);
  });

  it('asks for a larger bound when evictions are high and the hit rate low, naming the bound that evicts', () => {
    const byCount = cacheRecommendations(
      { ...base, hits: 300, misses: 700, hitRate: 0.3, sets: 700, evictions: { capacity: 600, bytes: 0, memory: 0 } },
      60_000,
    );
    expect(byCount).toEqual([
      expect.objectContaining({
        severity: 'warning',
        setting: { name: 'maxEntries', current: 1_000, suggested: 2_000 },
      }),
    ]);
    const byBytes = cacheRecommendations(
      { ...base, hits: 300, misses: 700, hitRate: 0.3, sets: 700, evictions: { capacity: 0, bytes: 600, memory: 0 } },
      60_000,
    );
    expect(byBytes[0]?.setting).toEqual({ name: 'maxBytes', current: 10_000_000, suggested: 20_000_000 });
  });

  it('suggests a longer TTL when entries mostly expire rather than being evicted', () => {
    const recs = cacheRecommendations(
      { ...base, hits: 400, misses: 600, hitRate: 0.4, sets: 600, expirations: 550 },
      30_000,
    );
    expect(recs).toEqual([
      expect.objectContaining({ severity: 'info', setting: { name: 'ttlMs', current: 30_000, suggested: 60_000 } }),
    ]);
  });

  it('says nothing on too few reads, and flags L2 outages, failing loaders and oversized values', () => {
    expect(
      cacheRecommendations({ ...base, hits: 5, misses: 50, hitRate: 0.1, sets: 50, expirations: 50 }, 1_000),
    ).toEqual([]);
    const recs = cacheRecommendations({ ...base, l2: 'down', loads: 100, loadErrors: 20, rejected: 3 }, 1_000);
    expect(recs.map((r) => r.severity)).toEqual(['warning', 'warning', 'info']);
    expect(recs[0]!.message).toContain('Redis L2 is down');
    expect(recs[1]!.message).toContain('20% of loads failed');
    expect(recs[2]!.message).toContain('3 values were larger than maxBytes');
  });
});

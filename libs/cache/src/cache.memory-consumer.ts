import { MemoryPriority, type MemoryConsumer } from '@ballast/core';

import type { AsyncTTLCache } from './async-ttl-cache.js';

/**
 * One cache's L1 as a memory governor sees it: `cache:<name>`, priority `MemoryPriority.CACHE`,
 * its bytes as the cache counts them (the structural estimate, or `sizeOf`'s units taken as bytes),
 * shrinking and capping through the cache's own eviction policy.
 */
export function cacheMemoryConsumer<V>(cache: AsyncTTLCache<V>): MemoryConsumer {
  return {
    name: `cache:${cache.name}`,
    priority: MemoryPriority.CACHE,
    currentBytes: () => cache.bytes,
    shrink: (bytes) => cache.shrink(bytes),
    setGrowthCap: (bytes) => cache.setGrowthCap(bytes),
  };
}

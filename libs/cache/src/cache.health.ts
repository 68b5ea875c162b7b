import { Injectable, Optional, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { degraded, healthy, HealthContributorRegistry, type HealthSnapshot } from '@ballast/core';

import type { AsyncTTLCache } from './async-ttl-cache.js';
import { CacheRegistry } from './cache.registry.js';

/**
 * A cache is never a reason to stop serving: it is healthy, or degraded while its Redis L2 (or the
 * invalidation link) is down and it serves from L1 and the loader alone.
 */
export function cacheHealth(cache: AsyncTTLCache<unknown>): HealthSnapshot {
  const stats = cache.stats();
  const details = {
    entries: stats.entries,
    bytes: stats.bytes,
    maxEntries: stats.maxEntries,
    maxBytes: stats.maxBytes,
    hitRate: Math.round(stats.hitRate * 1000) / 1000,
    l2: stats.l2,
    l2Errors: stats.l2Errors,
  };
  if (stats.l2 === 'down') {
    return degraded('Redis L2 or its invalidation link is down: serving from L1 and the loader only', details);
  }
  return healthy(details);
}

/** Registers a readiness check `cache:<name>` per cache with core's health registry. */
@Injectable()
export class CacheHealth implements OnModuleInit, OnApplicationShutdown {
  private readonly unregister: (() => void)[] = [];

  constructor(
    private readonly caches: CacheRegistry,
    @Optional() private readonly contributors?: HealthContributorRegistry,
  ) {}

  onModuleInit(): void {
    if (this.contributors === undefined) return;
    for (const cache of this.caches.list()) {
      this.unregister.push(
        // Never critical: a cache without its L2 still serves from L1 and the loader.
        this.contributors.register({ name: `cache:${cache.name}`, probe: () => cacheHealth(cache), critical: false }),
      );
    }
  }

  onApplicationShutdown(): void {
    for (const unregister of this.unregister.splice(0)) unregister();
  }
}

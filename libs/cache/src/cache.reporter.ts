import { Injectable, Optional, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { efficiencyScore, ReporterRegistry, type ComponentReport, type Recommendation } from '@ballast/core';

import type { AsyncTTLCache } from './async-ttl-cache.js';
import { cacheHealth } from './cache.health.js';
import { CacheRegistry } from './cache.registry.js';
import type { CacheStats } from './interfaces/cache-stats.interface.js';

/** Below this many reads the rates mean little: no recommendation is made. */
const MIN_READS = 100;

const percent = (ratio: number): string => `${Math.round(ratio * 100)}%`;

/**
 * The efficiency score: hit rate 60%, a low eviction rate 20% (evictions per write), memory
 * efficiency 20% (share of held entries that were read at least once).
 */
export function cacheScore(stats: CacheStats): number {
  const evictions = stats.evictions.capacity + stats.evictions.bytes;
  const evictionRate = stats.sets === 0 ? 0 : Math.min(1, evictions / stats.sets);
  return efficiencyScore(100 * (0.6 * stats.hitRate + 0.2 * (1 - evictionRate) + 0.2 * stats.readShare));
}

export function cacheRecommendations(stats: CacheStats, ttlMs: number): Recommendation[] {
  const out: Recommendation[] = [];
  const reads = stats.hits + stats.misses + stats.staleHits;
  const evictions = stats.evictions.capacity + stats.evictions.bytes;
  const evictionRate = stats.sets === 0 ? 0 : evictions / stats.sets;
  if (stats.l2 === 'down') {
    out.push({
      severity: 'warning',
      message: 'Redis L2 is down: every instance serves from its own L1 and loader; check Redis',
      evidence: { l2Errors: stats.l2Errors },
    });
  }
  if (reads >= MIN_READS && stats.hitRate < 0.8 && evictionRate > 0.1) {
    const byBytes = stats.evictions.bytes > stats.evictions.capacity;
    const current = byBytes ? stats.maxBytes : stats.maxEntries;
    out.push({
      severity: 'warning',
      message: `hit rate ${percent(stats.hitRate)} with ${percent(evictionRate)} of writes evicting: raise ${
        byBytes ? 'maxBytes' : 'maxEntries'
      } from ${current} to ${current * 2}`,
      evidence: { hitRate: stats.hitRate, evictionRate, evictions, entries: stats.entries, bytes: stats.bytes },
      setting: { name: byBytes ? 'maxBytes' : 'maxEntries', current, suggested: current * 2 },
    });
  }
  if (
    reads >= MIN_READS &&
    ttlMs > 0 &&
    stats.hitRate < 0.9 &&
    stats.expirations > evictions &&
    stats.expirations > 0.5 * stats.sets
  ) {
    out.push({
      severity: 'info',
      message: `${percent(stats.expirations / Math.max(1, stats.sets))} of entries expire before they are evicted: for keys whose data changes rarely, raise ttlMs from ${ttlMs} to ${ttlMs * 2} (or invalidate on change and use a long TTL)`,
      evidence: { hitRate: stats.hitRate, expirations: stats.expirations, sets: stats.sets },
      setting: { name: 'ttlMs', current: ttlMs, suggested: ttlMs * 2 },
    });
  }
  if (stats.loads >= 20 && stats.loadErrors / stats.loads > 0.05) {
    out.push({
      severity: 'warning',
      message: `${percent(stats.loadErrors / stats.loads)} of loads failed: errors are not cached, so every caller hits the failing source; consider a fallback or stale-while-revalidate`,
      evidence: { loads: stats.loads, loadErrors: stats.loadErrors },
    });
  }
  if (stats.rejected > 0) {
    out.push({
      severity: 'info',
      message: `${stats.rejected} values were larger than maxBytes (${stats.maxBytes}) and not cached`,
      evidence: { rejected: stats.rejected, maxBytes: stats.maxBytes },
    });
  }
  return out;
}

export function cacheReport(cache: AsyncTTLCache<unknown>): ComponentReport {
  const stats = cache.stats();
  const evictions = stats.evictions.capacity + stats.evictions.bytes;
  return {
    metrics: {
      policy: stats.policy,
      entries: stats.entries,
      bytes: stats.bytes,
      max_entries: stats.maxEntries,
      max_bytes: stats.maxBytes,
      hits: stats.hits,
      misses: stats.misses,
      stale_hits: stats.staleHits,
      hit_rate: Math.round(stats.hitRate * 10_000) / 10_000,
      sets: stats.sets,
      evictions,
      evictions_capacity: stats.evictions.capacity,
      evictions_bytes: stats.evictions.bytes,
      eviction_rate: stats.sets === 0 ? 0 : Math.round((evictions / stats.sets) * 10_000) / 10_000,
      expirations: stats.expirations,
      invalidations: stats.invalidations,
      loads: stats.loads,
      load_errors: stats.loadErrors,
      load_time_avg_ms: stats.loads === 0 ? 0 : Math.round((stats.loadTimeMs / stats.loads) * 100) / 100,
      coalesced: stats.coalesced,
      memory_read_share: Math.round(stats.readShare * 1000) / 1000,
      l2: stats.l2,
      l2_hits: stats.l2Hits,
      l2_errors: stats.l2Errors,
    },
    efficiencyScore: cacheScore(stats),
    health: cacheHealth(cache),
    recommendations: cacheRecommendations(stats, cache.settings.ttlMs),
  };
}

/** Registers a `cache` reporter per cache for the performance API. */
@Injectable()
export class CacheReporter implements OnModuleInit, OnApplicationShutdown {
  private readonly unregister: (() => void)[] = [];

  constructor(
    private readonly caches: CacheRegistry,
    @Optional() private readonly reporters?: ReporterRegistry,
  ) {}

  onModuleInit(): void {
    if (this.reporters === undefined) return;
    for (const cache of this.caches.list()) {
      this.unregister.push(
        this.reporters.register({ name: cache.name, kind: 'cache', report: () => cacheReport(cache) }),
      );
    }
  }

  onApplicationShutdown(): void {
    for (const unregister of this.unregister.splice(0)) unregister();
  }
}

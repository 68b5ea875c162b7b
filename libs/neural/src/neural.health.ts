import { degraded, healthy, type HealthSnapshot } from '@ballast/core';

import type { ModelCacheStats, ModelInfo } from './interfaces/model-cache-stats.interface.js';

/** What health and reports read of a cache, whatever its model type. */
export interface ModelCacheView {
  readonly loader: { readonly runtime: string };
  stats(): ModelCacheStats;
  models(): ModelInfo[];
}

/**
 * The model cache is never a reason to stop taking traffic by itself: healthy, or degraded while
 * a lease is stuck (a model cannot be unloaded) or loads are failing.
 */
export function neuralHealth(cache: ModelCacheView): HealthSnapshot {
  const stats = cache.stats();
  const failing = cache.models().filter((m) => m.state === 'failed');
  const details = {
    models: stats.models,
    maxModels: stats.maxModels,
    chargedBytes: stats.chargedBytes,
    maxBytes: stats.maxBytes,
    leases: stats.leases,
    stuckLeases: stats.stuckLeases.length,
    failedModels: failing.map((m) => m.key).join(','),
  };
  if (stats.stuckLeases.length > 0) {
    const worst = stats.stuckLeases.reduce((a, b) => (a.heldMs >= b.heldMs ? a : b));
    return degraded(
      `${stats.stuckLeases.length} model lease(s) held too long (longest ${worst.key}, ${worst.heldMs} ms): that model cannot be unloaded`,
      details,
    );
  }
  if (failing.length > 0) return degraded(`Loading failed for ${failing.map((m) => m.key).join(', ')}`, details);
  return healthy(details);
}

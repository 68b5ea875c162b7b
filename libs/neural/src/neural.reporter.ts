import { efficiencyScore, type ComponentReport, type Recommendation } from '@ballast/core';

import type { ModelCacheStats } from './interfaces/model-cache-stats.interface.js';
import { neuralHealth, type ModelCacheView } from './neural.health.js';
import type { ResultCacheStats } from './result-cache.js';

/** Below this many requests the hit rate means little. */
const MIN_REQUESTS = 100;
const percent = (ratio: number): string => `${Math.round(ratio * 100)}%`;

export function neuralRecommendations(stats: ModelCacheStats, results: ResultCacheStats | null): Recommendation[] {
  const out: Recommendation[] = [];
  const requests = stats.hits + stats.misses;
  const capacityUnloads = stats.unloads.capacity;
  if (stats.tooLarge > 0) {
    const suggested = Math.ceil((stats.largestRejectedBytes * 1.25) / (1024 * 1024)) * 1024 * 1024;
    out.push({
      severity: 'critical',
      message: `${stats.tooLarge} load(s) of a model larger than maxBytes (${stats.largestRejectedBytes} > ${stats.maxBytes}): raise maxBytes to at least ${suggested}`,
      evidence: {
        tooLarge: stats.tooLarge,
        largestRejectedBytes: stats.largestRejectedBytes,
        maxBytes: stats.maxBytes,
      },
      setting: { name: 'maxBytes', current: stats.maxBytes, suggested },
    });
  }
  if (requests >= MIN_REQUESTS && stats.hitRate < 0.7 && capacityUnloads > 0) {
    const byCount = stats.models >= stats.maxModels && stats.chargedBytes < 0.8 * stats.maxBytes;
    const current = byCount ? stats.maxModels : stats.maxBytes;
    out.push({
      severity: 'warning',
      message: `model hit rate ${percent(stats.hitRate)} (below 70%) with ${capacityUnloads} capacity evictions: raise ${
        byCount ? 'maxModels' : 'maxBytes'
      } from ${current} to ${current * 2}`,
      evidence: {
        hitRate: stats.hitRate,
        requests,
        capacityUnloads,
        models: stats.models,
        chargedBytes: stats.chargedBytes,
      },
      setting: { name: byCount ? 'maxModels' : 'maxBytes', current, suggested: current * 2 },
    });
  }
  if (stats.loads >= 20 && stats.earlyEvictions / stats.loads > 0.3) {
    out.push({
      severity: 'warning',
      message: `thrashing: ${percent(stats.earlyEvictions / stats.loads)} of loads were evicted again before idleTtlMs; the working set does not fit — raise maxBytes/maxModels or pin the hot models`,
      evidence: {
        loads: stats.loads,
        earlyEvictions: stats.earlyEvictions,
        maxBytes: stats.maxBytes,
        maxModels: stats.maxModels,
      },
    });
  }
  if (stats.stuckLeases.length > 0) {
    out.push({
      severity: 'warning',
      message: `${stats.stuckLeases.length} lease(s) held too long (${stats.stuckLeases.map((l) => l.key).join(', ')}): some caller does not release its lease; use \`await using\` or withModel()`,
      evidence: {
        stuckLeases: stats.stuckLeases.length,
        longestMs: Math.max(...stats.stuckLeases.map((l) => l.heldMs)),
      },
    });
  }
  if (results && results.hits + results.misses >= MIN_REQUESTS && results.hitRate < 0.05) {
    out.push({
      severity: 'info',
      message: `result cache hit rate ${percent(results.hitRate)}: inputs rarely repeat, so it costs memory for nothing — consider turning resultCache.enabled off`,
      evidence: { hitRate: results.hitRate, entries: results.entries, bytes: results.bytes },
      setting: { name: 'resultCache.enabled', current: true, suggested: false },
    });
  }
  return out;
}

/** Reports of one cache; keeps the load count of the previous report to give allocations per second. */
export class NeuralReporter {
  private last = { loads: 0, at: Date.now() };

  constructor(
    private readonly cache: ModelCacheView,
    private readonly results: { stats(): ResultCacheStats } | null,
  ) {}

  report(now = Date.now()): ComponentReport {
    const stats = this.cache.stats();
    const resultStats = this.results?.stats() ?? null;
    const seconds = Math.max(0.001, (now - this.last.at) / 1000);
    const allocationsPerSecond = (stats.loads - this.last.loads) / seconds;
    this.last = { loads: stats.loads, at: now };
    const thrash = stats.loads === 0 ? 0 : Math.min(1, stats.earlyEvictions / stats.loads);
    const requests = stats.hits + stats.misses;
    const models = this.cache
      .models()
      .filter((m) => m.state !== 'failed')
      .map((m) => `${m.key}=${m.totalBytes}`)
      .join(',');
    return {
      metrics: {
        runtime: this.cache.loader.runtime,
        models: stats.models,
        maxModels: stats.maxModels,
        modelList: models,
        chargedBytes: stats.chargedBytes,
        maxBytes: stats.maxBytes,
        utilisation: stats.maxBytes === 0 ? 0 : stats.chargedBytes / stats.maxBytes,
        weightsBytes: stats.weightsBytes,
        cacheBytes: stats.cacheBytes,
        deviceBytes: stats.deviceBytes,
        hitRate: stats.hitRate,
        hits: stats.hits,
        misses: stats.misses,
        loads: stats.loads,
        loadFailures: stats.loadFailures,
        allocationsPerSecond,
        capacityUnloads: stats.unloads.capacity,
        idleUnloads: stats.unloads.idle,
        earlyEvictions: stats.earlyEvictions,
        leases: stats.leases,
        stuckLeases: stats.stuckLeases.length,
        resultCacheHitRate: resultStats?.hitRate ?? null,
        resultCacheBytes: resultStats?.bytes ?? null,
      },
      efficiencyScore: efficiencyScore(requests === 0 ? 100 : 100 * (0.7 * stats.hitRate + 0.3 * (1 - thrash))),
      health: neuralHealth(this.cache),
      recommendations: neuralRecommendations(stats, resultStats),
    };
  }
}

import { Inject, Injectable, Optional } from '@nestjs/common';
import { counterOf, gaugeOf, histogramOf, METRICS_REGISTRY, type MetricsRegistry } from '@ballast/core';
import type { Counter, Gauge, Histogram } from 'prom-client';

import type { AsyncTTLCache } from './async-ttl-cache.js';
import type { CacheStats } from './interfaces/cache-stats.interface.js';

type CacheSource = () => Iterable<AsyncTTLCache<unknown>>;

/**
 * Every app (and every module instance) that exports caches on a registry: the families are
 * registered once per registry and read all live sources when scraped.
 */
const sourcesByRegistry = new WeakMap<MetricsRegistry, Set<CacheSource>>();

function statsOf(registry: MetricsRegistry): CacheStats[] {
  const out: CacheStats[] = [];
  for (const source of sourcesByRegistry.get(registry) ?? []) for (const cache of source()) out.push(cache.stats());
  return out;
}

type Labels = Record<string, string>;
type Reading = readonly [labels: Labels, value: number];

function counterFrom(
  registry: MetricsRegistry,
  name: string,
  help: string,
  labelNames: readonly string[],
  read: (stats: CacheStats) => readonly Reading[],
): Counter<string> {
  return counterOf(registry, {
    name,
    help,
    labelNames,
    collect(this: Counter<string>) {
      this.reset();
      for (const stats of statsOf(registry)) for (const [labels, value] of read(stats)) this.inc(labels, value);
    },
  });
}

function gaugeFrom(
  registry: MetricsRegistry,
  name: string,
  help: string,
  read: (stats: CacheStats) => number | undefined,
): Gauge<string> {
  return gaugeOf(registry, {
    name,
    help,
    labelNames: ['cache'],
    collect(this: Gauge<string>) {
      this.reset();
      for (const stats of statsOf(registry)) {
        const value = read(stats);
        if (value !== undefined) this.set({ cache: stats.name }, value);
      }
    },
  });
}

/**
 * Prometheus families of every cache. The caches keep plain counters in fields; they are read
 * only when `/metrics` is scraped, so a `get` pays nothing for them. Loader durations go to a
 * histogram as they happen (a load is already slow; the observation is noise beside it).
 */
@Injectable()
export class CacheMetrics {
  private readonly loadDuration: Histogram<string> | undefined;
  private source: CacheSource | undefined;

  constructor(@Optional() @Inject(METRICS_REGISTRY) private readonly registry?: MetricsRegistry) {
    if (registry === undefined) return;
    const by = (cache: string, extra: Labels = {}): Labels => ({ cache, ...extra });
    counterFrom(registry, 'ballast_cache_requests_total', 'Cache reads by result.', ['cache', 'result'], (s) => [
      [by(s.name, { result: 'hit' }), s.hits],
      [by(s.name, { result: 'miss' }), s.misses],
      [by(s.name, { result: 'stale' }), s.staleHits],
    ]);
    counterFrom(
      registry,
      'ballast_cache_evictions_total',
      'Entries evicted to keep a bound.',
      ['cache', 'reason'],
      (s) => [
        [by(s.name, { reason: 'capacity' }), s.evictions.capacity],
        [by(s.name, { reason: 'bytes' }), s.evictions.bytes],
        [by(s.name, { reason: 'memory' }), s.evictions.memory],
      ],
    );
    counterFrom(
      registry,
      'ballast_cache_expirations_total',
      'Entries removed at the end of their TTL.',
      ['cache'],
      (s) => [[by(s.name), s.expirations]],
    );
    counterFrom(
      registry,
      'ballast_cache_invalidations_total',
      'Entries removed by delete, clear, prefix, tag or another instance.',
      ['cache'],
      (s) => [[by(s.name), s.invalidations]],
    );
    counterFrom(registry, 'ballast_cache_sets_total', 'Entries written.', ['cache'], (s) => [[by(s.name), s.sets]]);
    counterFrom(
      registry,
      'ballast_cache_rejected_total',
      'Writes refused because the entry alone exceeds maxBytes.',
      ['cache'],
      (s) => [[by(s.name), s.rejected]],
    );
    counterFrom(registry, 'ballast_cache_loads_total', 'Loader calls by outcome.', ['cache', 'result'], (s) => [
      [by(s.name, { result: 'success' }), s.loads - s.loadErrors],
      [by(s.name, { result: 'error' }), s.loadErrors],
    ]);
    counterFrom(
      registry,
      'ballast_cache_load_coalesced_total',
      'Callers that joined a load already running (single-flight).',
      ['cache'],
      (s) => [[by(s.name), s.coalesced]],
    );
    counterFrom(
      registry,
      'ballast_cache_l2_requests_total',
      'L2 (Redis) reads by result.',
      ['cache', 'result'],
      (s) => [
        [by(s.name, { result: 'hit' }), s.l2Hits],
        [by(s.name, { result: 'miss' }), s.l2Misses],
        [by(s.name, { result: 'error' }), s.l2Errors],
      ],
    );
    counterFrom(
      registry,
      'ballast_cache_remote_invalidations_total',
      'Invalidation messages received from other instances.',
      ['cache'],
      (s) => [[by(s.name), s.remoteInvalidations]],
    );
    counterFrom(
      registry,
      'ballast_cache_invalidation_ack_timeouts_total',
      'Writes that went on without every other instance acknowledging their invalidation (read-your-writes).',
      ['cache'],
      (s) => [[by(s.name), s.invalidationAckTimeouts]],
    );
    gaugeFrom(registry, 'ballast_cache_entries', 'Entries held.', (s) => s.entries);
    gaugeFrom(registry, 'ballast_cache_bytes', 'Estimated bytes held (keys, values, bookkeeping).', (s) => s.bytes);
    gaugeFrom(registry, 'ballast_cache_max_entries', 'Entry bound.', (s) => s.maxEntries);
    gaugeFrom(registry, 'ballast_cache_max_bytes', 'Byte bound.', (s) => s.maxBytes);
    gaugeFrom(
      registry,
      'ballast_cache_l2_up',
      'Whether the L2 tier and its invalidation link are up (1), down (0); absent for a cache without L2.',
      // No series without an L2, so "L2 down" alerts (== 0) cannot fire for an L1-only cache.
      (s) => (s.l2 === 'none' ? undefined : s.l2 === 'up' ? 1 : 0),
    );
    this.loadDuration = histogramOf(registry, {
      name: 'ballast_cache_load_duration_seconds',
      help: 'Loader call durations (misses that ran the loader).',
      labelNames: ['cache', 'result'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    });
  }

  /** Starts exporting the caches `source` yields; one source per module instance. */
  watch(source: CacheSource): void {
    if (this.registry === undefined) return;
    this.source = source;
    let sources = sourcesByRegistry.get(this.registry);
    if (sources === undefined) sourcesByRegistry.set(this.registry, (sources = new Set()));
    sources.add(source);
  }

  unwatch(): void {
    if (this.registry === undefined || this.source === undefined) return;
    sourcesByRegistry.get(this.registry)?.delete(this.source);
    this.source = undefined;
  }

  observeLoad(cache: string, durationMs: number, ok: boolean): void {
    this.loadDuration?.observe({ cache, result: ok ? 'success' : 'error' }, durationMs / 1000);
  }
}

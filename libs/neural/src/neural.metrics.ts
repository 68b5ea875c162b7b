import { counterOf, gaugeOf, histogramOf, type MetricsRegistry } from '@ballast/core';
import type { Counter, Gauge, Histogram } from 'prom-client';

import type { ModelCacheObserver, UnloadReason } from './interfaces/model-cache-stats.interface.js';
import type { ModelCacheView } from './neural.health.js';
import type { ResultCache } from './result-cache.js';

interface Source {
  readonly cache: ModelCacheView;
  readonly results: ResultCache | null;
}

/** Live caches per registry: gauges read them when scraped (a test may build several apps on one registry). */
const sourcesByRegistry = new WeakMap<MetricsRegistry, Set<Source>>();

function gaugeFrom(
  registry: MetricsRegistry,
  name: string,
  help: string,
  labelNames: readonly string[],
  read: (source: Source, set: (labels: Record<string, string>, value: number) => void) => void,
): Gauge<string> {
  return gaugeOf(registry, {
    name,
    help,
    labelNames,
    collect(this: Gauge<string>) {
      this.reset();
      for (const source of sourcesByRegistry.get(registry) ?? [])
        read(source, (labels, value) => this.set(labels, value));
    },
  });
}

/**
 * The module's Prometheus metrics: counters and histograms fed by the cache's observer hooks,
 * gauges read from the cache when scraped.
 */
export class NeuralMetrics implements ModelCacheObserver {
  private readonly loads: Counter<'model'>;
  private readonly loadSeconds: Histogram<'model'>;
  private readonly loadFailures: Counter<'model'>;
  private readonly unloads: Counter<'reason'>;
  private readonly ageAtEviction: Histogram<'reason'>;
  private readonly requests: Counter<'result'>;
  private source?: Source;

  constructor(private readonly registry: MetricsRegistry) {
    this.loads = counterOf(registry, {
      name: 'ballast_neural_model_loads_total',
      help: 'Model loads that succeeded.',
      labelNames: ['model'],
    });
    this.loadSeconds = histogramOf(registry, {
      name: 'ballast_neural_model_load_duration_seconds',
      help: 'Time to load a model (session creation and warm-up).',
      labelNames: ['model'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    });
    this.loadFailures = counterOf(registry, {
      name: 'ballast_neural_model_load_failures_total',
      help: 'Model loads that failed or timed out.',
      labelNames: ['model'],
    });
    this.unloads = counterOf(registry, {
      name: 'ballast_neural_model_unloads_total',
      help: 'Models unloaded (session released), by reason.',
      labelNames: ['reason'],
    });
    this.ageAtEviction = histogramOf(registry, {
      name: 'ballast_neural_model_age_at_eviction_seconds',
      help: 'How long a model had been loaded when it was unloaded.',
      labelNames: ['reason'],
      buckets: [1, 10, 60, 300, 900, 3_600, 14_400, 86_400],
    });
    this.requests = counterOf(registry, {
      name: 'ballast_neural_model_requests_total',
      help: 'getOrLoad calls: hit (loaded) or miss (had to load).',
      labelNames: ['result'],
    });
    gaugeFrom(
      registry,
      'ballast_neural_bytes',
      'Model bytes charged against the bound, and the bound.',
      ['state'],
      ({ cache }, set) => {
        const stats = cache.stats();
        set({ state: 'charged' }, stats.chargedBytes);
        set({ state: 'loading' }, stats.loadingBytes);
        set({ state: 'unloading' }, stats.unloadingBytes);
        set({ state: 'capacity' }, stats.maxBytes);
      },
    );
    gaugeFrom(registry, 'ballast_neural_models', 'Models by state.', ['state'], ({ cache }, set) => {
      const counts: Record<string, number> = { loading: 0, ready: 0, unloading: 0, failed: 0 };
      for (const model of cache.models()) counts[model.state]!++;
      for (const [state, count] of Object.entries(counts)) set({ state }, count);
    });
    gaugeFrom(
      registry,
      'ballast_neural_model_bytes',
      'Memory per loaded model.',
      ['model', 'kind'],
      ({ cache }, set) => {
        for (const m of cache.models()) {
          if (m.state === 'failed') continue;
          set({ model: m.key, kind: 'weights' }, m.weightsBytes);
          set({ model: m.key, kind: 'cache' }, m.cacheBytes);
          set({ model: m.key, kind: 'device' }, m.deviceBytes);
          set({ model: m.key, kind: 'total' }, m.totalBytes);
        }
      },
    );
    gaugeFrom(
      registry,
      'ballast_neural_hit_ratio',
      'Share of getOrLoad calls served by a loaded model.',
      [],
      ({ cache }, set) => set({}, cache.stats().hitRate),
    );
    gaugeFrom(
      registry,
      'ballast_neural_result_cache_bytes',
      'Bytes of cached inference results, and their bound.',
      ['state'],
      ({ results }, set) => {
        if (!results) return;
        const stats = results.stats();
        set({ state: 'used' }, stats.bytes);
        set({ state: 'capacity' }, stats.maxBytes);
      },
    );
    gaugeFrom(
      registry,
      'ballast_neural_result_cache_hit_ratio',
      'Share of result lookups served from the result cache.',
      [],
      ({ results }, set) => {
        if (results) set({}, results.stats().hitRate);
      },
    );
  }

  /** Makes the gauges read this cache until `detach()`. */
  attach(cache: ModelCacheView, results: ResultCache | null): void {
    this.source = { cache, results };
    let sources = sourcesByRegistry.get(this.registry);
    if (!sources) sourcesByRegistry.set(this.registry, (sources = new Set()));
    sources.add(this.source);
  }

  detach(): void {
    if (this.source) sourcesByRegistry.get(this.registry)?.delete(this.source);
  }

  loaded(key: string, ms: number): void {
    this.loads.inc({ model: key });
    this.loadSeconds.observe({ model: key }, ms / 1000);
  }

  loadFailed(key: string): void {
    this.loadFailures.inc({ model: key });
  }

  unloaded(_key: string, reason: UnloadReason, ageMs: number): void {
    this.unloads.inc({ reason });
    this.ageAtEviction.observe({ reason }, ageMs / 1000);
  }

  hit(): void {
    this.requests.inc({ result: 'hit' });
  }

  miss(): void {
    this.requests.inc({ result: 'miss' });
  }
}

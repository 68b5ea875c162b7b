/**
 * The `memory` suite's service, run as a child process by memory.workload.ts: two byte-bounded
 * `AsyncTTLCache`s and a `ModelCache` whose bounds add up to 1.5x the process budget, fed a Zipf
 * workload, with or without a `MemoryGovernor` (wired as `MemoryGovernorService` wires it: an
 * interval sample plus a sample after each major GC, consumers registered through the same
 * adapters the cache and neural modules register). Prints `progress <requests>` lines as it goes
 * (so a death says when) and one `result {...}` JSON line at the end.
 *
 * Argument: one JSON {@link ServiceConfig}.
 */
import { constants as perfConstants, PerformanceObserver } from 'node:perf_hooks';

import type { MemoryPressureLevel } from '@ballast/core';
import { AsyncTTLCache, cacheMemoryConsumer } from '@ballast/cache';
import { detectMemoryBudget, MemoryGovernor } from '@ballast/memory';
import { modelCacheMemoryConsumer, ModelCache, type LoadedModel, type ModelLoadRequest } from '@ballast/neural';
import { FakeModelLoader, type FakeModel } from '@ballast/neural/testing';

const MB = 1024 * 1024;

export interface ServiceConfig {
  /**
   * `governed`: with the governor; `ungoverned`: the same without; `single`: both key streams in one
   * cache sized to what the limit leaves for caching, no models, no governor.
   */
  readonly mode: 'governed' | 'ungoverned' | 'single';
  /**
   * The budget: the child runs with `--max-old-space-size=<limitMb>` and the governor finds no other
   * limit (no option, no cgroup), so it is V8's heap limit, measured against heap used.
   */
  readonly limitMb: number;
  readonly requests: number;
  readonly sampleIntervalMs: number;
  readonly seed: number;
}

/** What the service reports when it finishes (a killed one reports nothing but its progress). */
export interface ServiceResult {
  readonly mode: ServiceConfig['mode'];
  readonly requests: number;
  readonly elapsedMs: number;
  readonly limitBytes: number;
  readonly baselineRssBytes: number;
  readonly baselineHeapBytes: number;
  readonly peakRssBytes: number;
  readonly peakHeapBytes: number;
  /** Reads of the byte caches that hit. */
  readonly cacheHitRate: number;
  readonly modelHitRate: number;
  readonly levels: MemoryPressureLevel[];
  readonly shrinkRounds: number;
  readonly samples: number;
  readonly samplingMs: number;
  /** Per pressure episode: ms from the first probe at/over elevated to the governor seeing it (0: it saw it first). */
  readonly detectionMs: number[];
  /** Per episode: ms from the governor seeing pressure to the first probe back under elevated. */
  readonly recoveryMs: number[];
  readonly finalCacheBytes: number[];
  /** Model requests that failed: a load refused a reservation, or no room under the cap. */
  readonly modelFailures: number;
}

// Values of 64 KB under Zipf(0.9) over 4,000 keys per cache: 250 MB of distinct values each, more
// than any bound here, so every cache fills to its bound and keeps evicting.
const VALUE_BYTES = 16 * 1024;
const KEYS = 16_000;
const ZIPF_S = 0.9;
// Twelve models of 1-3.75 MB; one request in eight runs one, Zipf(1.1) over them.
const MODELS = 12;
const MODEL_EVERY = 8;
// A server yields between requests; the sampler's interval and the GC observer run there. Memory is
// probed (for the peaks and the pressure episodes) every few requests.
const PROBE_EVERY = 10;
const PROGRESS_EVERY = 200;

/** Zipf(s) over n keys by inverse CDF on a table, from a seeded LCG (same sequence every run). */
function zipfSampler(n: number, s: number, seed: number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / Math.pow(i + 1, s);
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    const u = (state / 2147483648) * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/**
 * FakeModelLoader whose models really hold their weights, as a string on the JS heap: the budget
 * here is the heap limit, and weights in native memory (as ONNX keeps them) would not count against it.
 */
class WeightedModelLoader extends FakeModelLoader {
  override async load(request: ModelLoadRequest, signal: AbortSignal): Promise<LoadedModel<FakeModel>> {
    const loaded = await super.load(request, signal);
    let weights: string | undefined = Buffer.alloc(loaded.memory.weightsBytes, 1).toString('latin1');
    return {
      ...loaded,
      model: Object.assign(loaded.model, { weights }),
      dispose: async () => {
        weights = undefined;
        delete (loaded.model as { weights?: string }).weights;
        await loaded.dispose();
      },
    };
  }
}

// One scratch buffer: each value is a fresh flat Latin-1 string on the heap, with no Buffer garbage
// left in native memory (that would inflate RSS with something no cache holds).
const scratch = Buffer.alloc(VALUE_BYTES);
function value(key: number, request: number): string {
  return scratch.fill((key + request) % 256).toString('latin1');
}

async function main(config: ServiceConfig): Promise<void> {
  const limitBytes = config.limitMb * MB;
  // The single cache is sized to what the limit leaves for caching: the elevated threshold less the
  // heap the process already uses (it runs with a larger heap, so it is never what dies).
  const singleBytes = Math.round(0.8 * limitBytes - process.memoryUsage().heapUsed);
  const caches =
    config.mode === 'single'
      ? [new AsyncTTLCache<string>({ name: 'single', ttlMs: 0, maxEntries: 1_000_000, maxBytes: singleBytes })]
      : [
          new AsyncTTLCache<string>({
            name: 'a',
            ttlMs: 0,
            maxEntries: 1_000_000,
            maxBytes: Math.round(0.55 * limitBytes),
          }),
          new AsyncTTLCache<string>({
            name: 'b',
            ttlMs: 0,
            maxEntries: 1_000_000,
            maxBytes: Math.round(0.55 * limitBytes),
          }),
        ];
  const sizes: Record<string, number> = {};
  for (let m = 0; m < MODELS; m++) sizes[`model-${m}`] = Math.round((1 + m / 4) * MB);
  const models = new ModelCache<FakeModel>(new WeightedModelLoader(sizes), {
    maxModels: MODELS,
    maxBytes: Math.round(0.4 * limitBytes),
    idleTtlMs: 0,
    warmUpOnLoad: false,
  });

  const baselineRssBytes = process.memoryUsage.rss();
  const baselineHeapBytes = process.memoryUsage().heapUsed;
  let governor: MemoryGovernor | undefined;
  let observer: PerformanceObserver | undefined;
  let interval: NodeJS.Timeout | undefined;
  const levels = new Set<MemoryPressureLevel>(['normal']);
  // Pressure episodes: the probe (every PROBE_EVERY requests) against the governor's own view.
  const detectionMs: number[] = [];
  const recoveryMs: number[] = [];
  let crossedAt: number | undefined;
  let detectedAt: number | undefined;
  if (config.mode === 'governed') {
    // No option and no cgroup (a directory that does not exist): the budget is the V8 heap limit.
    const budget = detectMemoryBudget(undefined, '/nonexistent-cgroup-root');
    governor = new MemoryGovernor({
      budget,
      thresholds: { elevated: 0.8, critical: 0.9, hysteresis: 0.05 },
      retryAfterMs: 2_000,
    });
    for (const cache of caches) governor.register(cacheMemoryConsumer(cache));
    governor.register(modelCacheMemoryConsumer(models));
    const g = governor;
    models.reserveMemory = (bytes, owner) => g.reserve(bytes, owner);
    governor.onLevelChange(({ from, to }) => {
      levels.add(to);
      if (from === 'normal') {
        const now = performance.now();
        detectedAt = now;
        detectionMs.push(crossedAt === undefined ? 0 : now - crossedAt);
      }
      if (to === 'normal') {
        crossedAt = undefined;
        detectedAt = undefined;
      }
    });
    governor.sample('interval');
    interval = setInterval(() => g.sample('interval'), config.sampleIntervalMs);
    observer = new PerformanceObserver((list) => {
      const major = list
        .getEntries()
        .some(
          (entry) => (entry as { detail?: { kind?: number } }).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR,
        );
      if (major) g.sample('gc');
    });
    observer.observe({ entryTypes: ['gc'] });
  }
  const elevatedBytes = governor?.elevatedBytes ?? Number.POSITIVE_INFINITY;

  const next =
    caches.length === 1 ? [zipfSampler(KEYS * 2, ZIPF_S, 7)] : [0, 1].map((c) => zipfSampler(KEYS, ZIPF_S, 7 + c * 4));
  const nextModel = zipfSampler(MODELS, 1.1, 3);
  let peakRssBytes = baselineRssBytes;
  let peakHeapBytes = 0;
  let modelFailures = 0;
  const started = performance.now();
  let done = 0;
  for (let r = 0; r < config.requests; r++) {
    // The single cache serves both caches' key streams, alternating as the two caches are read.
    for (let c = 0; c < 2; c++) {
      const cache = caches.length === 1 ? caches[0]! : caches[c]!;
      const key = caches.length === 1 ? next[0]!() : next[c]!();
      await cache.wrap(`k${key}`, () => value(key, r));
    }
    if (config.mode !== 'single' && r % MODEL_EVERY === 0) {
      try {
        await models.withModel(`model-${nextModel()}`, (model) => model.run(r));
      } catch {
        modelFailures += 1; // a load refused (reservation) or without room under the cap
      }
    }
    done = r + 1;
    if (r % PROBE_EVERY === 0) {
      const usage = process.memoryUsage();
      peakRssBytes = Math.max(peakRssBytes, usage.rss);
      peakHeapBytes = Math.max(peakHeapBytes, usage.heapUsed);
      const now = performance.now();
      if (usage.heapUsed >= elevatedBytes) crossedAt ??= now;
      else if (detectedAt !== undefined) {
        recoveryMs.push(now - detectedAt);
        detectedAt = undefined;
      }
      if (r % PROGRESS_EVERY === 0) process.stdout.write(`progress ${done}\n`);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  const elapsedMs = performance.now() - started;
  clearInterval(interval);
  observer?.disconnect();
  const stats = caches.map((cache) => cache.stats());
  const hits = stats.reduce((n, s) => n + s.hits, 0);
  const reads = stats.reduce((n, s) => n + s.hits + s.misses, 0);
  const modelStats = models.stats();
  const result: ServiceResult = {
    mode: config.mode,
    requests: done,
    elapsedMs,
    limitBytes,
    baselineRssBytes,
    baselineHeapBytes,
    peakRssBytes,
    peakHeapBytes,
    cacheHitRate: reads === 0 ? 0 : hits / reads,
    modelHitRate:
      modelStats.hits + modelStats.misses === 0 ? 0 : modelStats.hits / (modelStats.hits + modelStats.misses),
    levels: [...levels],
    shrinkRounds: governor?.totals.shrinkRounds ?? 0,
    samples: governor?.totals.samples ?? 0,
    samplingMs: governor?.totals.samplingMs ?? 0,
    detectionMs,
    recoveryMs,
    finalCacheBytes: caches.map((cache) => cache.bytes),
    modelFailures,
  };
  governor?.close();
  for (const cache of caches) cache.close();
  await models.close();
  process.stdout.write(`result ${JSON.stringify(result)}\n`);
}

// Only when run as the child (the suite imports this file's types alone).
if (process.argv[2]?.startsWith('{')) {
  main(JSON.parse(process.argv[2]) as ServiceConfig).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(
        `service failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}

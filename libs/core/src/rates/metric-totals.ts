import type { MetricsRegistry } from '../metrics/metric.helpers.js';

/**
 * Cumulative counts read from the shared registry at one instant. Core knows no library, only the
 * metric names each one exports (the same contract the Prometheus rules rely on); a family that is
 * not registered (its module not loaded) reads as 0.
 */
export interface MetricTotals {
  readonly atMs: number;
  readonly poolAcquires: number;
  readonly poolTimeouts: number;
  readonly poolCreateErrors: number;
  readonly cacheHits: number;
  readonly cacheMisses: number;
  readonly breakerCalls: number;
  readonly breakerRejections: number;
  readonly breakerFailures: number;
  readonly modelLoads: number;
  readonly modelLoadFailures: number;
  readonly leaks: number;
  readonly deadLetters: number;
  /** Gauges: the value now, not a count. */
  readonly neuralBytes: number;
  readonly rssBytes: number;
}

type Labels = Record<string, string | number>;
type Match = (labels: Labels, metricName?: string) => boolean;

async function sum(registry: MetricsRegistry, name: string, match: Match = () => true): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  let total = 0;
  for (const { value, labels, metricName } of (await metric.get()).values as {
    value: number;
    labels: Labels;
    metricName?: string;
  }[]) {
    if (Number.isFinite(value) && match(labels, metricName)) total += value;
  }
  return total;
}

const histogramCount: Match = (_labels, metricName) => metricName?.endsWith('_count') ?? false;

export async function readMetricTotals(registry: MetricsRegistry, now = Date.now()): Promise<MetricTotals> {
  const [
    poolAcquires,
    poolTimeouts,
    poolCreateErrors,
    cacheHits,
    cacheMisses,
    breakerCalls,
    breakerRejections,
    breakerFailures,
    modelLoads,
    modelLoadFailures,
    leaks,
    deadLetters,
    neuralBytes,
  ] = await Promise.all([
    // Every granted acquire observes its wait once: the histogram's count is the acquires.
    sum(registry, 'db_client_connection_wait_time_seconds', histogramCount),
    sum(registry, 'db_client_connection_timeouts_total'),
    sum(registry, 'ballast_pool_errors_total', (l) => l.kind === 'create'),
    sum(registry, 'ballast_cache_requests_total', (l) => l.result === 'hit' || l.result === 'stale'),
    sum(registry, 'ballast_cache_requests_total', (l) => l.result === 'miss'),
    sum(registry, 'ballast_circuit_breaker_calls_total', (l) => l.outcome !== 'short_circuited'),
    sum(registry, 'ballast_circuit_breaker_calls_total', (l) => l.outcome === 'short_circuited'),
    sum(registry, 'ballast_circuit_breaker_calls_total', (l) => l.outcome === 'failure' || l.outcome === 'timeout'),
    sum(registry, 'ballast_neural_model_loads_total'),
    sum(registry, 'ballast_neural_model_load_failures_total'),
    sum(registry, 'ballast_resource_leaks_total'),
    sum(registry, 'ballast_dead_letters_total'),
    sum(registry, 'ballast_neural_bytes', (l) => l.state === 'charged'),
  ]);
  return {
    atMs: now,
    poolAcquires,
    poolTimeouts,
    poolCreateErrors,
    cacheHits,
    cacheMisses,
    breakerCalls,
    breakerRejections,
    breakerFailures,
    modelLoads,
    modelLoadFailures,
    leaks,
    deadLetters,
    neuralBytes,
    rssBytes: process.memoryUsage.rss(),
  };
}

/** What the metrics reporter logs and `GET /api/performance/rates` answers: rates between two reads. */
export interface MetricRates {
  readonly from: string;
  readonly to: string;
  readonly interval_s: number;
  readonly pool_acquires_per_s: number;
  /** Granted acquires / (granted + timed out); null when there was no acquire. */
  readonly pool_success_rate: number | null;
  readonly pool_timeouts: number;
  readonly pool_create_errors: number;
  /** (hits + stale hits) / lookups; null when there was no lookup. */
  readonly cache_hit_rate: number | null;
  readonly cache_lookups_per_s: number;
  readonly breaker_calls_per_s: number;
  readonly breaker_failures: number;
  /** Calls a breaker refused without trying (open). */
  readonly breaker_rejections: number;
  readonly model_loads_per_s: number;
  readonly model_load_failures: number;
  readonly neural_bytes: number;
  readonly leaks: number;
  readonly dead_letters: number;
  readonly rss_bytes: number;
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Rates from `before` to `after`. A counter that went down (a pool or cache closed and its series
 * left the registry) counts as 0 for that interval, never as a negative rate.
 */
export function ratesBetween(before: MetricTotals, after: MetricTotals): MetricRates {
  const seconds = Math.max(0.001, (after.atMs - before.atMs) / 1000);
  const delta = (key: keyof MetricTotals) => Math.max(0, after[key] - before[key]);
  const perSecond = (key: keyof MetricTotals) => round(delta(key) / seconds);
  const acquires = delta('poolAcquires');
  const timeouts = delta('poolTimeouts');
  const hits = delta('cacheHits');
  const lookups = hits + delta('cacheMisses');
  return {
    from: new Date(before.atMs).toISOString(),
    to: new Date(after.atMs).toISOString(),
    interval_s: round(seconds),
    pool_acquires_per_s: perSecond('poolAcquires'),
    pool_success_rate: acquires + timeouts === 0 ? null : round(acquires / (acquires + timeouts), 4),
    pool_timeouts: timeouts,
    pool_create_errors: delta('poolCreateErrors'),
    cache_hit_rate: lookups === 0 ? null : round(hits / lookups, 4),
    cache_lookups_per_s: round(lookups / seconds),
    breaker_calls_per_s: perSecond('breakerCalls'),
    breaker_failures: delta('breakerFailures'),
    breaker_rejections: delta('breakerRejections'),
    model_loads_per_s: perSecond('modelLoads'),
    model_load_failures: delta('modelLoadFailures'),
    neural_bytes: after.neuralBytes,
    leaks: delta('leaks'),
    dead_letters: delta('deadLetters'),
    rss_bytes: after.rssBytes,
  };
}

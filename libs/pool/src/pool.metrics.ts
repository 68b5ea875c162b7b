import type { MetricsRegistry } from '@ballast/core';

import { maxPoolSize, type ConnectionBudgetView } from './fleet/connection-budget.js';
import type { HistogramSnapshot } from './resource-pool/bucket-histogram.js';
import type { PoolStats, PoolStatsSource } from './resource-pool/pool-stats.js';

/** Numbers of one Redis client (not pooled: one multiplexed connection). */
export interface RedisClientStats {
  /** ioredis status: wait, connecting, connect, ready, reconnecting, close, end. */
  readonly state: string;
  /** Times it came back (ready again) after losing the connection. */
  readonly reconnects: number;
  readonly reconnectAttempts: number;
  readonly errors: number;
}

export interface RedisClientStatsSource {
  readonly name: string;
  clientStats(): RedisClientStats;
}

type LabelValues = Record<string, string | number>;
interface MetricValue {
  readonly value: number;
  readonly labels: LabelValues;
  readonly metricName?: string;
}

const REDIS_STATES = ['wait', 'connecting', 'connect', 'ready', 'reconnecting', 'close', 'end'] as const;
const BRAND = Symbol.for('ballast.pool.metrics');

/**
 * A metric family prom-client scrapes through `get()`: its values are computed from the pools'
 * plain counters and bucket arrays at scrape time, so the acquire path never touches prom-client.
 */
class ScrapedFamily {
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'gauge' | 'counter' | 'histogram',
    readonly owner: PoolMetrics,
    private readonly collect: () => MetricValue[],
  ) {}

  get() {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.collect() };
  }

  reset(): void {}
}

/**
 * OpenTelemetry connection-pool metrics (`db_client_connection_*`) for every pool kind, plus
 * `ballast_pool_*` and `ballast_redis_*`. One instance per registry: {@link PoolMetrics.for}
 * returns the one already registered, so building the module twice on one registry is safe.
 */
export class PoolMetrics {
  readonly [BRAND] = true;
  private readonly pools = new Set<PoolStatsSource>();
  private readonly redisClients = new Set<RedisClientStatsSource>();
  private readonly budgets = new Map<PoolStatsSource, ConnectionBudgetView>();
  private cache: PoolStats[] | undefined;

  private constructor(registry: MetricsRegistry) {
    for (const family of this.families()) {
      registry.registerMetric(family as unknown as Parameters<MetricsRegistry['registerMetric']>[0]);
    }
  }

  static for(registry: MetricsRegistry): PoolMetrics {
    const found = registry.getSingleMetric('db_client_connection_count') as unknown as
      { owner?: PoolMetrics } | undefined;
    if (found?.owner && (found.owner as { [BRAND]?: boolean })[BRAND]) return found.owner;
    if (found) throw new TypeError('Metric db_client_connection_count is already registered by something else');
    return new PoolMetrics(registry);
  }

  /** Scrapes `source`; with a `budget`, also its server's limit, the fleet size and the pool's share. */
  attachPool(source: PoolStatsSource, budget?: ConnectionBudgetView): () => void {
    this.pools.add(source);
    if (budget) this.budgets.set(source, budget);
    this.cache = undefined;
    return () => {
      this.pools.delete(source);
      this.budgets.delete(source);
      this.cache = undefined;
    };
  }

  attachRedis(source: RedisClientStatsSource): () => void {
    this.redisClients.add(source);
    return () => this.redisClients.delete(source);
  }

  /**
   * All pools' stats, read once per scrape: prom-client asks every family synchronously in the same
   * tick, so the reading is kept until the current task's microtasks run and never outlives the scrape
   * (a time-based cache served a reading taken before the caller's last request).
   */
  private stats(): PoolStats[] {
    if (this.cache) return this.cache;
    const stats = [...this.pools].map((p) => p.stats());
    this.cache = stats;
    queueMicrotask(() => {
      if (this.cache === stats) this.cache = undefined;
    });
    return stats;
  }

  private perPool(read: (s: PoolStats) => number): () => MetricValue[] {
    return () => this.stats().map((s) => ({ value: read(s), labels: poolLabels(s) }));
  }

  /** One value per budgeted pool; pools whose reading is undefined (limit unknown) are left out. */
  private perBudget(read: (b: ConnectionBudgetView) => number | undefined): () => MetricValue[] {
    return () =>
      [...this.budgets].flatMap(([source, budget]) => {
        const value = read(budget);
        return value === undefined
          ? []
          : [{ value, labels: { db_client_connection_pool_name: source.name, ballast_pool_kind: source.kind } }];
      });
  }

  private histogram(name: string, read: (s: PoolStats) => HistogramSnapshot): () => MetricValue[] {
    return () => this.stats().flatMap((s) => histogramValues(name, poolLabels(s), read(s)));
  }

  private families(): ScrapedFamily[] {
    const f = (name: string, help: string, type: ScrapedFamily['type'], collect: () => MetricValue[]) =>
      new ScrapedFamily(name, help, type, this, collect);
    return [
      f('db_client_connection_count', 'Connections open, by state (idle or used).', 'gauge', () =>
        this.stats().flatMap((s) => [
          { value: s.idle + s.validating, labels: { ...poolLabels(s), state: 'idle' } },
          { value: s.used, labels: { ...poolLabels(s), state: 'used' } },
        ]),
      ),
      f(
        'db_client_connection_pending_requests',
        'Callers waiting for a connection.',
        'gauge',
        this.perPool((s) => s.pending),
      ),
      f(
        'db_client_connection_idle_min',
        'Idle connections the pool keeps at least.',
        'gauge',
        this.perPool((s) => s.min),
      ),
      f(
        'db_client_connection_idle_max',
        'Idle connections the pool allows at most.',
        'gauge',
        this.perPool((s) => s.max),
      ),
      f(
        'db_client_connection_max',
        'Connections the pool allows at most (semconv 1.45 calls it _limit).',
        'gauge',
        this.perPool((s) => s.max),
      ),
      f(
        'db_client_connection_timeouts_total',
        'Acquires that gave up waiting (acquire timeout).',
        'counter',
        this.perPool((s) => s.timeouts),
      ),
      f(
        'db_client_connection_wait_time_seconds',
        'Time callers waited to get a connection.',
        'histogram',
        this.histogram('db_client_connection_wait_time_seconds', (s) => s.waitTime),
      ),
      f(
        'db_client_connection_use_time_seconds',
        'Time connections were held per borrowing.',
        'histogram',
        this.histogram('db_client_connection_use_time_seconds', (s) => s.useTime),
      ),
      f(
        'db_client_connection_create_time_seconds',
        'Time it took to open a connection.',
        'histogram',
        this.histogram('db_client_connection_create_time_seconds', (s) => s.createTime),
      ),
      f('ballast_pool_errors_total', 'Pool errors by kind: create, validate, destroy, broken.', 'counter', () =>
        this.stats().flatMap((s) =>
          Object.entries(s.errors).map(([kind, value]) => ({ value, labels: { ...poolLabels(s), kind } })),
        ),
      ),
      f(
        'ballast_pool_exhausted_total',
        'Acquires refused: timeouts, a full queue (PoolExhaustedError) and fail-fast refusals during an outage (PoolUnavailableError).',
        'counter',
        this.perPool((s) => s.exhausted),
      ),
      f(
        'ballast_pool_leaks_total',
        'Leases held longer than leakDetectionMs.',
        'counter',
        this.perPool((s) => s.leaks),
      ),
      f(
        'ballast_pool_server_connection_limit',
        "Connections the pool's server accepts from ordinary clients: Postgres max_connections minus reserved slots, Redis maxclients.",
        'gauge',
        this.perBudget((b) => b.serverLimit()),
      ),
      f(
        'ballast_pool_fleet_instances',
        "Instances sharing the pool's server: the fleet.instances option, or more when discovery counted more.",
        'gauge',
        this.perBudget((b) => b.instances()),
      ),
      f(
        'ballast_pool_fleet_max_size',
        "The largest max this pool may have so the whole fleet stays within its server's limit: floor(limit / instances) - connections outside the pool.",
        'gauge',
        this.perBudget((b) => maxPoolSize(b)),
      ),
      f('ballast_redis_connection_state', 'Redis client state: 1 for the current one.', 'gauge', () =>
        [...this.redisClients].flatMap((c) => {
          const { state } = c.clientStats();
          return REDIS_STATES.map((candidate) => ({
            value: candidate === state ? 1 : 0,
            labels: { client: c.name, state: candidate },
          }));
        }),
      ),
      f(
        'ballast_redis_reconnects_total',
        'Times a Redis client was ready again after losing its connection.',
        'counter',
        () => [...this.redisClients].map((c) => ({ value: c.clientStats().reconnects, labels: { client: c.name } })),
      ),
      f('ballast_redis_errors_total', 'Errors a Redis client emitted (connection errors, timeouts).', 'counter', () =>
        [...this.redisClients].map((c) => ({ value: c.clientStats().errors, labels: { client: c.name } })),
      ),
    ];
  }
}

function poolLabels(s: PoolStats): LabelValues {
  return { db_client_connection_pool_name: s.name, ballast_pool_kind: s.kind };
}

/** Prometheus histogram series (cumulative buckets in seconds, _sum, _count) from a bucket snapshot. */
function histogramValues(name: string, labels: LabelValues, h: HistogramSnapshot): MetricValue[] {
  const out: MetricValue[] = [];
  let cumulative = 0;
  for (let i = 0; i < h.bounds.length; i++) {
    cumulative += h.counts[i]!;
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: h.bounds[i]! / 1_000 }, value: cumulative });
  }
  out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: h.count });
  out.push({ metricName: `${name}_sum`, labels, value: h.sumMs / 1_000 });
  out.push({ metricName: `${name}_count`, labels, value: h.count });
  return out;
}

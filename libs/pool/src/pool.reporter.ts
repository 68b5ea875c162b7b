import { efficiencyScore, type ComponentReport, type PerformanceReporter, type Recommendation } from '@ballast/core';

import { maxPoolSize, type ConnectionBudgetView } from './fleet/connection-budget.js';
import { assessPool, percent, type PoolHealthThresholds } from './pool.health.js';
import { histogramDelta, histogramQuantile } from './resource-pool/bucket-histogram.js';
import type { PoolStats, PoolStatsSource } from './resource-pool/pool-stats.js';

export interface PoolReporterOptions {
  /** How far back recommendations look; shrinking needs this much idleness. */
  readonly windowMs: number;
  readonly thresholds: PoolHealthThresholds;
  /**
   * The pool's share of its server's connection limit across the fleet: growth is capped at
   * `floor(limit / instances) - overhead`. Pools without a server limit (HTTP, generic) have none.
   */
  readonly budget?: ConnectionBudgetView;
  /** Option path quoted in size recommendations, e.g. `databases.main.maxSize`. */
  readonly maxSetting: string;
  readonly minSetting?: string;
  /** Report kind-specific numbers next to the pool's. */
  readonly extraMetrics?: () => Record<string, number | string | boolean | null>;
  /** Clock in ms; `Date.now` unless a test steers it. */
  readonly now?: () => number;
}

interface Sample {
  readonly at: number;
  readonly stats: PoolStats;
}

/** Evidence gathered over the window, which recommendations and the score are computed from. */
export interface PoolWindow {
  readonly spanMs: number;
  readonly acquires: number;
  readonly acquireRate: number;
  /** Mean fraction of max in use over the window (time-weighted where leases came back). */
  readonly utilisation: number;
  readonly p50WaitMs: number;
  readonly p95WaitMs: number;
  readonly p95UseMs: number;
  readonly timeouts: number;
  readonly exhausted: number;
  readonly errors: number;
  readonly createErrors: number;
  readonly leaks: number;
  readonly sawWaiters: boolean;
  readonly peakUsed: number;
  /** Smallest idle share of the pool seen in any sample (1 when nothing was open). */
  readonly minIdleShare: number;
  readonly meanUseEarlyMs: number;
  readonly meanUseLateMs: number;
  readonly timeoutsLate: number;
}

/**
 * Samples a pool now and then and turns the history into a score and recommendations, each quoting
 * the numbers that triggered it: grow (sized by Little's law), shrink, suspect a leak, look at slow
 * queries or failing connects.
 */
export class PoolReporter implements PerformanceReporter {
  readonly kind = 'pool';
  private readonly samples: Sample[] = [];
  private readonly now: () => number;

  constructor(
    readonly name: string,
    private readonly source: PoolStatsSource,
    private readonly options: PoolReporterOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Records the pool's numbers; called every `sampleIntervalMs`. */
  sample(): void {
    const at = this.now();
    this.samples.push({ at, stats: this.source.stats() });
    // Keep one sample older than the window, so the window always has a starting point.
    while (this.samples.length > 2 && at - this.samples[1]!.at > this.options.windowMs) this.samples.shift();
  }

  report(): ComponentReport {
    const current: Sample = { at: this.now(), stats: this.source.stats() };
    const window = analyseWindow(this.samples, current, this.options.windowMs);
    const stats = current.stats;
    return {
      metrics: {
        size: stats.size,
        min: stats.min,
        max: stats.max,
        used: stats.used,
        idle: stats.idle,
        pending: stats.pending,
        utilisation: round(window.utilisation),
        acquire_rate_per_s: round(window.acquireRate),
        wait_p50_ms: round(window.p50WaitMs),
        wait_p95_ms: round(window.p95WaitMs),
        use_p95_ms: round(window.p95UseMs),
        timeouts: window.timeouts,
        errors: window.errors,
        leaks: window.leaks,
        window_s: Math.round(window.spanMs / 1_000),
        server_limit: this.options.budget?.serverLimit() ?? null,
        ...(this.options.budget
          ? {
              fleet_instances: this.options.budget.instances(),
              fleet_max_size: maxPoolSize(this.options.budget) ?? null,
            }
          : {}),
        last_create_error: stats.lastCreateError ?? null,
        ...this.options.extraMetrics?.(),
      },
      efficiencyScore: scorePool(window, stats),
      health: assessPool(stats, this.options.thresholds),
      recommendations: recommend(window, stats, this.options),
    };
  }
}

export function analyseWindow(samples: readonly Sample[], current: Sample, windowMs: number): PoolWindow {
  const inWindow = samples.filter((s) => current.at - s.at <= windowMs);
  const base = samples.filter((s) => current.at - s.at > windowMs).at(-1) ?? inWindow[0] ?? current;
  const all = [...inWindow.filter((s) => s !== base), current];
  const now = current.stats;
  const spanMs = current.at - base.at;
  const wait = histogramDelta(now.waitTime, base.stats.waitTime);
  const use = histogramDelta(now.useTime, base.stats.useTime);
  const acquires = wait.count;
  const sampledUtilisation = mean([base, ...all].map((s) => s.stats.used / s.stats.max));
  const timeWeighted = spanMs > 0 ? use.sumMs / (spanMs * now.max) : 0;
  const errorsOf = (s: PoolStats) => Object.values(s.errors).reduce((a, b) => a + b, 0);
  // Halves of the window: use time rising while timeouts appear is what a leak looks like.
  const midpoint = (base.at + current.at) / 2;
  const middle = [base, ...all].reduce((best, s) =>
    Math.abs(s.at - midpoint) < Math.abs(best.at - midpoint) ? s : best,
  );
  const early = histogramDelta(middle.stats.useTime, base.stats.useTime);
  const late = histogramDelta(now.useTime, middle.stats.useTime);
  const idleShares = [base, ...all].filter((s) => s.stats.size > 0).map((s) => s.stats.idle / s.stats.size);
  return {
    spanMs,
    acquires,
    acquireRate: spanMs > 0 ? (acquires * 1_000) / spanMs : 0,
    utilisation: Math.min(1, Math.max(sampledUtilisation, timeWeighted)),
    p50WaitMs: histogramQuantile(wait, 0.5),
    p95WaitMs: histogramQuantile(wait, 0.95),
    p95UseMs: histogramQuantile(use, 0.95),
    timeouts: now.timeouts - base.stats.timeouts,
    exhausted: now.exhausted - base.stats.exhausted,
    errors: errorsOf(now) - errorsOf(base.stats),
    createErrors: now.errors.create - base.stats.errors.create,
    leaks: now.leaks - base.stats.leaks,
    sawWaiters: [base, ...all].some((s) => s.stats.pending > 0),
    peakUsed: Math.max(...[base, ...all].map((s) => s.stats.used)),
    minIdleShare: idleShares.length ? Math.min(...idleShares) : 1,
    meanUseEarlyMs: early.count > 0 ? early.sumMs / early.count : 0,
    meanUseLateMs: late.count > 0 ? late.sumMs / late.count : 0,
    timeoutsLate: now.timeouts - middle.stats.timeouts,
  };
}

/**
 * 0-100: utilisation in the 60-80% band scores best (lower wastes connections, higher leaves no
 * headroom), then wait time (p95 under 1 ms is perfect, a tenth of the acquire timeout is 0) and
 * the share of acquires that failed.
 */
export function scorePool(window: PoolWindow, stats: PoolStats): number {
  const u = window.utilisation;
  const utilisationScore =
    window.acquires === 0 && stats.used === 0
      ? 50
      : u < 0.6
        ? (100 * u) / 0.6
        : u <= 0.8
          ? 100
          : 100 - ((u - 0.8) / 0.2) * 100;
  const worstWait = Math.max(1, stats.acquireTimeoutMs / 10);
  const waitScore =
    window.p95WaitMs <= 1 ? 100 : 100 * (1 - Math.min(1, Math.log10(window.p95WaitMs) / Math.log10(worstWait)));
  const failures = window.exhausted + window.errors;
  const errorScore = 100 * (1 - Math.min(1, (10 * failures) / Math.max(1, window.acquires)));
  return efficiencyScore(0.4 * utilisationScore + 0.35 * waitScore + 0.25 * errorScore);
}

export function recommend(window: PoolWindow, stats: PoolStats, options: PoolReporterOptions): Recommendation[] {
  const out: Recommendation[] = [];
  const minutes = `${Math.max(1, Math.round(window.spanMs / 60_000))} min`;
  const busy = Math.max(window.utilisation, stats.used / stats.max);
  const starved = window.sawWaiters || window.timeouts > 0 || stats.pending > 0;

  if (busy > options.thresholds.degradedUtilisation && starved) {
    // Little's law: connections needed = arrival rate x time each one is held.
    const littles = Math.ceil(window.acquireRate * (window.p95UseMs / 1_000) * 1.2);
    let suggested = Math.max(littles, stats.max + Math.max(1, Math.ceil(stats.max * 0.25)));
    const budget = options.budget;
    const limit = budget?.serverLimit();
    const instances = budget?.instances() ?? 1;
    const cap = budget === undefined ? undefined : maxPoolSize(budget);
    const evidence = {
      utilisation: round(busy),
      pending: stats.pending,
      timeouts: window.timeouts,
      acquire_rate_per_s: round(window.acquireRate),
      use_p95_ms: round(window.p95UseMs),
      littles_law_connections: littles,
      ...(limit === undefined || cap === undefined
        ? {}
        : { server_limit: limit, fleet_instances: instances, fleet_max_size: cap }),
    };
    const why = `utilisation ${percent(busy)} with ${window.timeouts} timeout(s) and waiters over ${minutes} (${round(window.acquireRate)} acquires/s x p95 use ${round(window.p95UseMs)} ms = ${littles} connections by Little's law)`;
    if (cap !== undefined && suggested > cap) suggested = cap;
    if (cap !== undefined && cap <= stats.max) {
      out.push({
        severity: 'critical',
        message: `${why}: already at this instance's share of the server (limit ${limit} / ${instances} instance(s)${budget!.overhead > 0 ? ` - ${budget!.overhead} outside the pool` : ''} = max ${cap}); shorten how long connections are held or raise the server's limit`,
        evidence,
      });
    } else {
      out.push({
        severity: window.timeouts > 0 ? 'critical' : 'warning',
        message: `${why}: raise max from ${stats.max} to ${suggested}`,
        evidence,
        setting: { name: options.maxSetting, current: stats.max, suggested },
      });
    }
  }

  const over = overBudget(stats, options);
  if (over) out.push(over);

  if (
    window.spanMs >= options.windowMs &&
    window.minIdleShare > 0.5 &&
    window.timeouts === 0 &&
    !window.sawWaiters &&
    stats.max > 1
  ) {
    const suggested = Math.max(1, stats.min, Math.ceil(window.peakUsed * 1.5));
    if (suggested < stats.max) {
      out.push({
        severity: 'info',
        message: `more than ${percent(window.minIdleShare)} of connections idle for ${minutes} (peak ${window.peakUsed} of ${stats.max} in use): lower max from ${stats.max} to ${suggested}`,
        evidence: {
          min_idle_share: round(window.minIdleShare),
          peak_used: window.peakUsed,
          window_s: Math.round(window.spanMs / 1_000),
        },
        setting: { name: options.maxSetting, current: stats.max, suggested },
      });
    }
    if (options.minSetting && stats.min > Math.max(1, window.peakUsed)) {
      out.push({
        severity: 'info',
        message: `min ${stats.min} keeps connections open that ${minutes} of traffic never used (peak ${window.peakUsed}): lower min to ${Math.max(1, window.peakUsed)}`,
        evidence: { peak_used: window.peakUsed, min: stats.min },
        setting: { name: options.minSetting, current: stats.min, suggested: Math.max(1, window.peakUsed) },
      });
    }
  }

  const useRose = window.meanUseEarlyMs > 0 && window.meanUseLateMs > 2 * window.meanUseEarlyMs;
  if ((window.timeoutsLate > 0 && useRose) || window.leaks > 0) {
    out.push({
      severity: 'warning',
      message:
        window.leaks > 0
          ? `${window.leaks} lease(s) held past leakDetectionMs over ${minutes}: check the logged stacks for a connection that is never released`
          : `${window.timeoutsLate} timeout(s) while mean hold time rose from ${round(window.meanUseEarlyMs)} ms to ${round(window.meanUseLateMs)} ms: suspect a leaked connection or a slow query holding them; turn on leak detection`,
      evidence: {
        leaks: window.leaks,
        timeouts_recent: window.timeoutsLate,
        mean_use_early_ms: round(window.meanUseEarlyMs),
        mean_use_late_ms: round(window.meanUseLateMs),
      },
    });
  } else if (window.p95UseMs >= 1_000 && window.acquires > 0) {
    out.push({
      severity: 'info',
      message: `p95 hold time ${round(window.p95UseMs)} ms over ${minutes}: investigate slow queries or work done while holding a connection`,
      evidence: { use_p95_ms: round(window.p95UseMs), acquires: window.acquires },
    });
  }

  if (window.createErrors > 0) {
    out.push({
      severity: stats.size === 0 ? 'critical' : 'warning',
      message: `${window.createErrors} failed connection attempt(s) over ${minutes}${stats.lastCreateError ? `, last: ${stats.lastCreateError}` : ''}`,
      evidence: { create_errors: window.createErrors, size: stats.size },
    });
  }
  return out;
}

/** A pool whose `max` on every instance would take more connections than the server allows: lower it. */
function overBudget(stats: PoolStats, options: PoolReporterOptions): Recommendation | undefined {
  const budget = options.budget;
  const limit = budget?.serverLimit();
  const cap = budget === undefined ? undefined : maxPoolSize(budget);
  if (budget === undefined || limit === undefined || cap === undefined || stats.max <= cap) return undefined;
  const instances = budget.instances();
  const demand = instances * (stats.max + budget.overhead);
  return {
    severity: 'warning',
    message: `${instances} instance(s) x (max ${stats.max}${budget.overhead > 0 ? ` + ${budget.overhead} outside the pool` : ''}) = ${demand} connections exceed the server's limit of ${limit}: lower max from ${stats.max} to ${cap}`,
    evidence: { server_limit: limit, fleet_instances: instances, fleet_demand: demand, fleet_max_size: cap },
    setting: { name: options.maxSetting, current: stats.max, suggested: cap },
  };
}

function mean(values: readonly number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

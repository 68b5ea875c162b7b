import type { HistogramSnapshot } from './bucket-histogram.js';
import type { PoolErrorKind } from './resource-pool.options.js';

/** A pool's numbers at one instant; what metrics, health checks and reports are computed from. */
export interface PoolStats {
  readonly name: string;
  readonly kind: string;
  readonly state: 'open' | 'draining' | 'closed';
  readonly min: number;
  readonly max: number;
  /** Live resources: used + idle + validating. */
  readonly size: number;
  readonly used: number;
  readonly idle: number;
  readonly validating: number;
  readonly creating: number;
  /** Callers waiting for a resource. */
  readonly pending: number;
  /** How long callers have been waiting without a break (0 when none wait). */
  readonly waitingForMs: number;
  readonly acquireTimeoutMs: number;
  readonly timeouts: number;
  /** Acquires refused: timeouts and a full queue (PoolExhaustedError), fail-fast refusals during an outage (PoolUnavailableError). */
  readonly exhausted: number;
  readonly leaks: number;
  readonly created: number;
  readonly destroyed: number;
  readonly errors: Readonly<Record<PoolErrorKind, number>>;
  /** Set while creates are failing. */
  readonly lastCreateError?: string;
  readonly waitTime: HistogramSnapshot;
  readonly useTime: HistogramSnapshot;
  readonly createTime: HistogramSnapshot;
}

/** Anything that can report pool numbers: a ResourcePool, an undici pool adapter... */
export interface PoolStatsSource {
  readonly name: string;
  readonly kind: string;
  stats(): PoolStats;
}

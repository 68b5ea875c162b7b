import type { HealthSnapshot } from '../health/health.status.js';

/** What a reporter describes; the performance API groups reports by it. */
export type ReporterKind = 'pool' | 'cache' | 'breaker' | 'resources' | 'models' | (string & {});

export type RecommendationSeverity = 'info' | 'warning' | 'critical';

/** A change worth making, with the evidence for it. */
export interface Recommendation {
  readonly severity: RecommendationSeverity;
  /** e.g. "utilisation 93% for 5 min: raise max from 20 to 30" */
  readonly message: string;
  /** The numbers that triggered it. */
  readonly evidence: Readonly<Record<string, number | string | boolean>>;
  /** The option to change, where there is one. */
  readonly setting?: {
    readonly name: string;
    readonly current?: number | string | boolean;
    readonly suggested: number | string | boolean;
  };
}

export type MetricsSnapshot = Readonly<Record<string, number | string | boolean | null>>;

export interface ComponentReport {
  readonly metrics: MetricsSnapshot;
  /** 0 (wasteful or failing) to 100 (working as well as it can). */
  readonly efficiencyScore: number;
  readonly health: HealthSnapshot;
  readonly recommendations: readonly Recommendation[];
}

/** Every module registers one per thing it manages (a pool, a cache, the breakers...). */
export interface PerformanceReporter {
  readonly name: string;
  readonly kind: ReporterKind;
  report(): ComponentReport | Promise<ComponentReport>;
}

/** Clamps and rounds a score to the 0–100 range reports use. */
export function efficiencyScore(value: number): number {
  if (!Number.isFinite(value)) return 0;
  return Math.round(Math.min(100, Math.max(0, value)));
}

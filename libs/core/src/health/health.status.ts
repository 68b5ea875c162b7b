/**
 * Ballast's three-state health. `degraded` still serves (HTTP 200 on readiness) but something is
 * impaired: a pool with waiters, a cache running on L1 only, an open breaker.
 */
export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface HealthSnapshot {
  readonly status: HealthStatus;
  /** Why it is not healthy, in a sentence an operator can act on. */
  readonly reason?: string;
  /** The numbers behind the status (redacted before they leave the process). */
  readonly details?: Readonly<Record<string, unknown>>;
}

const RANK: Record<HealthStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 };

/** The worst of several statuses; `healthy` for none. */
export function worstHealth(statuses: Iterable<HealthStatus>): HealthStatus {
  let worst: HealthStatus = 'healthy';
  for (const status of statuses) if (RANK[status] > RANK[worst]) worst = status;
  return worst;
}

export const healthy = (details?: Record<string, unknown>): HealthSnapshot => ({ status: 'healthy', details });
export const degraded = (reason: string, details?: Record<string, unknown>): HealthSnapshot => ({
  status: 'degraded',
  reason,
  details,
});
export const unhealthy = (reason: string, details?: Record<string, unknown>): HealthSnapshot => ({
  status: 'unhealthy',
  reason,
  details,
});

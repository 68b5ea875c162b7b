import { degraded, healthy, unhealthy, type HealthSnapshot } from '@ballast/core';

import type { PoolStats } from './resource-pool/pool-stats.js';

export interface PoolHealthThresholds {
  /** Busier than this fraction of max: degraded. */
  readonly degradedUtilisation: number;
  /** Callers waiting without a break this long: degraded. */
  readonly persistentWaitersMs: number;
}

/** The numbers a health check shows for a pool. */
export function poolHealthDetails(stats: PoolStats): Record<string, unknown> {
  return {
    size: stats.size,
    max: stats.max,
    used: stats.used,
    idle: stats.idle,
    pending: stats.pending,
    utilisation: round(stats.used / stats.max),
    ...(stats.lastCreateError ? { lastCreateError: stats.lastCreateError } : {}),
  };
}

/**
 * A pool's health from its numbers alone. Only a failed ping (checked by the caller) is `unhealthy`;
 * a busy pool still serves, so it is `degraded`: utilisation above the threshold, or callers that
 * have been waiting without a break for longer than `persistentWaitersMs`.
 */
export function assessPool(
  stats: PoolStats,
  thresholds: PoolHealthThresholds,
  extra: Record<string, unknown> = {},
): HealthSnapshot {
  const details = { ...poolHealthDetails(stats), ...extra };
  if (stats.state !== 'open') return unhealthy(`pool is ${stats.state}`, details);
  const utilisation = stats.used / stats.max;
  if (utilisation > thresholds.degradedUtilisation) {
    return degraded(`utilisation ${percent(utilisation)} (${stats.used}/${stats.max} in use)`, details);
  }
  if (stats.pending > 0 && stats.waitingForMs >= thresholds.persistentWaitersMs) {
    return degraded(
      `${stats.pending} caller(s) waiting for ${Math.round(stats.waitingForMs)} ms without a break`,
      details,
    );
  }
  return healthy(details);
}

/** A health snapshot for a dependency whose ping failed. */
export function pingFailed(what: string, error: unknown, details: Record<string, unknown> = {}): HealthSnapshot {
  return unhealthy(`${what} did not answer: ${(error as Error)?.message ?? String(error)}`, details);
}

export function percent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

function round(value: number): number {
  return Math.round(value * 1_000) / 1_000;
}

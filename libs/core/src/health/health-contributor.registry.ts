import { Injectable } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';

import { BallastHealthIndicator, type HealthProbe } from './ballast-health.indicator.js';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

/** One resource's health check, registered by the module that owns the resource. */
export interface HealthContributor {
  /** Key in the Terminus response, e.g. `database:main`, `redis:cache`. */
  readonly name: string;
  readonly probe: HealthProbe;
  /** Which endpoints include it; readiness and startup by default. Liveness should check nothing external. */
  readonly probes?: readonly ProbeKind[];
  readonly timeoutMs?: number;
  /**
   * Whether readiness fails (503) when this check fails. True by default. False for what the app
   * can serve without — a Redis behind a cache with L1 and a loader, shared breaker state, dead
   * letters, an upstream behind a fallback: its failure then shows as `degraded` (HTTP 200).
   */
  readonly critical?: boolean;
}

const DEFAULT_PROBES: readonly ProbeKind[] = ['readiness', 'startup'];

/**
 * Where modules register the health checks of what they open, so one `/health/ready` covers every
 * pool, cache and breaker without the app listing them by hand.
 */
@Injectable()
export class HealthContributorRegistry {
  private readonly contributors = new Map<string, HealthContributor>();

  constructor(private readonly indicator: BallastHealthIndicator) {}

  /** Returns the function that removes it again (call it when the resource closes). */
  register(contributor: HealthContributor): () => void {
    if (this.contributors.has(contributor.name)) {
      throw new Error(`A health check named "${contributor.name}" is already registered`);
    }
    this.contributors.set(contributor.name, contributor);
    return () => {
      if (this.contributors.get(contributor.name) === contributor) this.contributors.delete(contributor.name);
    };
  }

  list(kind?: ProbeKind): HealthContributor[] {
    const all = [...this.contributors.values()];
    return kind ? all.filter((c) => (c.probes ?? DEFAULT_PROBES).includes(kind)) : all;
  }

  /** Terminus indicator functions for `HealthCheckService.check(...)`. */
  checks(kind: ProbeKind): Array<() => Promise<HealthIndicatorResult>> {
    return this.list(kind).map(
      (c) => () => this.indicator.check(c.name, c.probe, { timeoutMs: c.timeoutMs, critical: c.critical }),
    );
  }
}

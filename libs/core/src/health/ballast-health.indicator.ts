import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';

import { BALLAST_CORE_OPTIONS } from '../core.constants.js';
import type { BallastCoreOptions } from '../core.options.js';
import { redact } from '../redaction/redact.js';
import { withDeadline } from '../utils/deadline.js';
import type { HealthSnapshot } from './health.status.js';

export type HealthProbe = (signal: AbortSignal) => HealthSnapshot | Promise<HealthSnapshot>;

export interface HealthCheckOptions {
  /** Overrides the module's `health.checkTimeoutMs` for this check. */
  readonly timeoutMs?: number;
  /**
   * False for a dependency the app can serve without (a cache's Redis, shared breaker state, an
   * upstream behind a fallback): its failure makes the check `degraded` (HTTP 200), not `down`.
   * True (the default) keeps `down`, which takes the instance out of the load balancer.
   */
  readonly critical?: boolean;
}

/**
 * Turns a module's own view of its health into a Terminus 12 indicator result: healthy -> up,
 * degraded -> degraded (HTTP stays 200), unhealthy, a throw or a timeout -> down, or degraded with
 * `critical: false` in the details when the check is not critical. The probe gets an
 * `AbortSignal` that fires at the timeout so it can stop whatever it started.
 */
@Injectable()
export class BallastHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(BALLAST_CORE_OPTIONS) private readonly options: BallastCoreOptions,
  ) {}

  async check<const Key extends string>(
    key: Key,
    probe: HealthProbe,
    options: HealthCheckOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const session = this.indicators.check(key);
    const timeoutMs = options.timeoutMs ?? this.options.health.checkTimeoutMs;
    const critical = options.critical ?? true;
    const started = performance.now();
    let snapshot: HealthSnapshot;
    try {
      snapshot = await withDeadline(probe, timeoutMs);
    } catch (error) {
      const failure = { message: redact(String((error as Error)?.message ?? error)), timeoutMs };
      return critical ? session.down(failure) : session.degraded({ ...failure, critical: false });
    }
    const data = {
      ...withoutReservedKeys(redact(snapshot.details ?? {}) as Record<string, unknown>),
      ...(snapshot.reason ? { reason: redact(snapshot.reason) } : {}),
      responseTimeMs: Math.round((performance.now() - started) * 100) / 100,
    };
    if (snapshot.status === 'healthy') return session.up(data);
    if (snapshot.status === 'degraded') return session.degraded(data);
    return critical ? session.down(data) : session.degraded({ ...data, critical: false });
  }
}

/** Keys Terminus reserves for itself (a detail under one of them would turn the endpoint into a 500). */
const RESERVED_KEYS = new Set(['status', 'responseTime', 'cachedResponse']);

/** Details may use any key: a reserved one is reported as `<key>Detail` (`status` -> `statusDetail`). */
export function withoutReservedKeys(details: Record<string, unknown>): Record<string, unknown> {
  if (!Object.keys(details).some((key) => RESERVED_KEYS.has(key))) return details;
  return Object.fromEntries(
    Object.entries(details).map(([key, value]) => [RESERVED_KEYS.has(key) ? `${key}Detail` : key, value]),
  );
}

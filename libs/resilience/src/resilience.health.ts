import { degraded, healthy, unhealthy, type HealthSnapshot } from '@ballast/core';

import type { BreakerSnapshot } from './breaker/breaker.js';
import type { ResilienceRuntime } from './resilience.runtime.js';

export interface SharedStateHealth {
  readonly connected: boolean;
}

/**
 * Readiness as the breakers see it: an open or half-open breaker makes it degraded or down,
 * as its `healthImpact` says (`none` leaves it out). Per-key breakers only show in the details: one
 * tenant's open breaker says nothing about the instance. Shared state that lost Redis is degraded.
 */
export function breakersHealth(runtime: ResilienceRuntime, sharedState?: SharedStateHealth): HealthSnapshot {
  const down: BreakerSnapshot[] = [];
  const impaired: BreakerSnapshot[] = [];
  for (const breaker of runtime.breakers.list()) {
    const state = breaker.state;
    // Disabled and metrics-only let every call through: nothing is impaired.
    if (
      breaker.config.healthImpact === 'none' ||
      state === 'closed' ||
      state === 'disabled' ||
      state === 'metrics-only'
    ) {
      continue;
    }
    (breaker.config.healthImpact === 'down' ? down : impaired).push(breaker.snapshot());
  }
  const keyed = runtime.breakers.listKeyed().map((group) => {
    const open = group.notClosed();
    return { name: group.name, keys: group.size, notClosed: open.length, sample: open.slice(0, 5).map((s) => s.key) };
  });
  const describe = (s: BreakerSnapshot) =>
    `${s.name} ${s.state}${s.state === 'open' ? ` (${s.retryAfterMs} ms left, failure rate ${Math.round(s.failureRate)}%)` : ''}`;
  const details = {
    breakers: runtime.breakers.list().length,
    open: [...down, ...impaired].map((s) => ({ name: s.name, state: s.state, retryAfterMs: s.retryAfterMs })),
    ...(keyed.length > 0 ? { keyed } : {}),
    ...(sharedState ? { sharedStateConnected: sharedState.connected } : {}),
  };
  if (down.length > 0) return unhealthy(`breakers down: ${down.map(describe).join(', ')}`, details);
  if (impaired.length > 0) return degraded(`breakers not closed: ${impaired.map(describe).join(', ')}`, details);
  if (sharedState && !sharedState.connected) {
    return degraded('shared breaker state has no Redis connection: instances decide alone', details);
  }
  return healthy(details);
}

/** A remote dead-letter store that does not answer is degraded: letters cannot be kept, calls still work. */
export async function deadLetterStoreHealth(runtime: ResilienceRuntime): Promise<HealthSnapshot> {
  const store = runtime.deadLetters.store;
  try {
    await store.ping();
    return healthy({ store: store.kind });
  } catch (error) {
    return degraded(`dead-letter store (${store.kind}) does not answer: ${(error as Error).message}`, {
      store: store.kind,
    });
  }
}

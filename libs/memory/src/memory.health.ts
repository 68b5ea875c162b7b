import { degraded, healthy, unhealthy, type HealthSnapshot } from '@ballast/core';

import type { MemoryGovernor } from './memory-governor.js';

const MB = 1024 * 1024;

/**
 * Elevated and critical are degraded: the app still serves while consumers shrink. With
 * `readinessAtCritical` critical is unhealthy, and readiness answers 503 so traffic goes elsewhere.
 */
export function memoryHealth(governor: MemoryGovernor, readinessAtCritical: boolean): HealthSnapshot {
  const sample = governor.lastSample;
  const details = {
    level: governor.level,
    limitMb: Math.round(governor.budget.limitBytes / MB),
    source: governor.budget.source,
    usedMb: sample ? Math.round(sample.usedBytes / MB) : null,
    percent: sample ? Math.round(sample.ratio * 1000) / 10 : null,
  };
  if (governor.level === 'normal') return healthy(details);
  const reason = `memory pressure ${governor.level}: ${details.usedMb} MB of ${details.limitMb} MB (${details.percent}%)`;
  return governor.level === 'critical' && readinessAtCritical ? unhealthy(reason, details) : degraded(reason, details);
}

import { degraded, healthy, type HealthSnapshot, type ResourceLeak } from '@ballast/core';

import type { Forecast } from './exhaustion-forecast.js';
import { formatDuration } from './resource-tracker.js';

/** Leaks or a forecast exhaustion make the app degraded: it still serves, but someone should look. */
export function trackerHealth(
  leaks: readonly ResourceLeak[],
  alerts: readonly Forecast[],
  open: number,
): HealthSnapshot {
  const details = { open, leaks: leaks.length, forecastAlerts: alerts.length };
  const reasons: string[] = [];
  if (leaks.length > 0) {
    const byType = new Map<string, number>();
    for (const leak of leaks) byType.set(leak.type, (byType.get(leak.type) ?? 0) + 1);
    reasons.push(`${leaks.length} leaked resource(s): ${[...byType].map(([type, n]) => `${n} ${type}`).join(', ')}`);
  }
  for (const alert of alerts) {
    reasons.push(
      `${alert.type} would reach its limit ${alert.limit} in ${formatDuration(alert.exhaustionInMs ?? 0)} (now ${alert.count})`,
    );
  }
  return reasons.length === 0 ? healthy(details) : degraded(reasons.join('; '), details);
}

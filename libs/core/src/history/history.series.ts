import type { HealthStatus } from '../health/health.status.js';
import type { MetricsRegistry } from '../metrics/metric.helpers.js';

/** Health as a number in the history (and the dashboard's badges): higher is worse. */
export const HEALTH_CODE: Record<HealthStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 };

/**
 * Breaker states as numbers in the history's `breaker-state/<breaker>` series, in the order the
 * dashboard's timeline colours them. The names are the `state` label of
 * `ballast_circuit_breaker_state`, which @ballast/resilience exports.
 */
export const BREAKER_STATE_CODE: Readonly<Record<string, number>> = {
  closed: 0,
  'half-open': 1,
  open: 2,
  'forced-open': 3,
  disabled: 4,
  'metrics-only': 5,
};

/** When a keyed group has keys in several states, the one shown: the most alarming. */
const PRECEDENCE = ['open', 'forced-open', 'half-open', 'disabled', 'metrics-only', 'closed'];

/**
 * One `breaker-state/<breaker>` series per breaker, read from the shared registry's
 * `ballast_circuit_breaker_state` gauge; none when no breaker module is loaded.
 */
export async function breakerStateSeries(registry: MetricsRegistry): Promise<[string, number][]> {
  const gauge = registry.getSingleMetric('ballast_circuit_breaker_state');
  if (!gauge) return [];
  const states = new Map<string, Set<string>>();
  for (const { value, labels } of (await gauge.get()).values) {
    const breaker = labels.breaker;
    const state = labels.state;
    if (typeof breaker !== 'string' || typeof state !== 'string' || !(value > 0)) continue;
    let set = states.get(breaker);
    if (!set) states.set(breaker, (set = new Set()));
    set.add(state);
  }
  const out: [string, number][] = [];
  for (const [breaker, set] of states) {
    const shown = PRECEDENCE.find((state) => set.has(state));
    if (shown !== undefined) out.push([`breaker-state/${breaker}`, BREAKER_STATE_CODE[shown]!]);
  }
  return out;
}

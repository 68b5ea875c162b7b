import { counterOf, gaugeOf, type MetricsRegistry } from '../metrics/metric.helpers.js';
import type { GradientLimiter } from './gradient-limiter.js';

/**
 * `ballast_admission_*`: read from the limiter when scraped, so the request path pays nothing
 * for them but the shed counter's increment.
 */
export function registerAdmissionMetrics(registry: MetricsRegistry, limiter: GradientLimiter): { shed(): void } {
  gaugeOf(registry, {
    name: 'ballast_admission_limit',
    help: 'Concurrent requests the adaptive admission limit admits now.',
    collect() {
      this.set(limiter.limit);
    },
  });
  gaugeOf(registry, {
    name: 'ballast_admission_inflight',
    help: 'Admitted requests in flight.',
    collect() {
      this.set(limiter.inflight);
    },
  });
  gaugeOf<'window'>(registry, {
    name: 'ballast_admission_latency_seconds',
    help: 'Average latency the limiter judges by: the last window (short) and its long-term baseline (long).',
    labelNames: ['window'],
    collect() {
      const { shortRttMs, longRttMs } = limiter.snapshot();
      this.set({ window: 'short' }, shortRttMs / 1000);
      this.set({ window: 'long' }, longRttMs / 1000);
    },
  });
  const shed = counterOf(registry, {
    name: 'ballast_admission_shed_total',
    help: 'Requests answered 503 by admission control because the concurrency limit was reached.',
  });
  return { shed: () => shed.inc() };
}

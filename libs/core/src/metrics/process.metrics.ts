import { getHeapStatistics } from 'node:v8';

import { gaugeOf, type MetricsRegistry } from './metric.helpers.js';

/**
 * Process figures prom-client's default metrics leave out but alerting needs: the V8 heap limit,
 * so a rule can read "heap used / limit" instead of guessing the `--max-old-space-size` of each
 * deployment. Read at scrape time; registered once per registry.
 */
export function registerProcessMetrics(registry: MetricsRegistry): void {
  gaugeOf(registry, {
    name: 'ballast_process_heap_limit_bytes',
    help: 'V8 heap size limit of the process (heap_size_limit: --max-old-space-size plus young generation)',
    collect() {
      this.set(getHeapStatistics().heap_size_limit);
    },
  });
}

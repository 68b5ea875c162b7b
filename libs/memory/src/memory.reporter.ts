import { efficiencyScore, type ComponentReport, type Recommendation } from '@ballast/core';

import type { MemoryGovernor } from './memory-governor.js';
import { memoryHealth } from './memory.health.js';

const MB = 1024 * 1024;
const mb = (bytes: number): number => Math.round(bytes / MB);
/** The level as a number, so the history (numbers only) and the dashboard can draw it. */
const LEVEL_CODE = { normal: 0, elevated: 1, critical: 2 } as const;

/** The `memory` report: the budget and its source, the last sample, consumers and what to change. */
export function memoryReport(governor: MemoryGovernor, readinessAtCritical: boolean): ComponentReport {
  const { budget } = governor;
  const sample = governor.lastSample;
  const totals = governor.totals;
  const consumers = governor.consumerList();
  const consumerBytes = consumers.reduce((sum, c) => sum + c.bytes, 0);
  const metrics: Record<string, number | string | null> = {
    level: governor.level,
    levelCode: LEVEL_CODE[governor.level],
    limitMb: mb(budget.limitBytes),
    elevatedMb: mb(governor.elevatedBytes),
    criticalMb: mb(governor.criticalBytes),
    usedMb: sample ? mb(sample.usedBytes) : null,
    source: budget.source,
    measure: budget.measure,
    heapLimitMb: mb(budget.heapLimitBytes),
    rssMb: sample ? mb(sample.rss) : null,
    heapUsedMb: sample ? mb(sample.heapUsed) : null,
    externalMb: sample ? mb(sample.external) : null,
    arrayBuffersMb: sample ? mb(sample.arrayBuffers) : null,
    reservedMb: mb(governor.reservedBytes),
    percent: sample ? Math.round(sample.ratio * 1000) / 10 : null,
    consumers: consumers.length,
    consumerMb: mb(consumerBytes),
    samples: totals.samples,
    shrinkRounds: totals.shrinkRounds,
    criticalEntered: totals.criticalEntered,
    reservationsRefused: totals.refused,
    samplingMs: Math.round(totals.samplingMs * 100) / 100,
  };
  for (const c of consumers) metrics[`consumer.${c.name}.mb`] = mb(c.bytes);

  const recommendations: Recommendation[] = [];
  if (budget.source === 'v8-heap') {
    recommendations.push({
      severity: 'info',
      message:
        'No container limit or maxMemoryMb found: the budget is the V8 heap limit, which does not count native memory (buffers, WASM, addons); set BALLAST_MEMORY_MAX_MB to the memory the process may use',
      evidence: { heapLimitMb: mb(budget.heapLimitBytes) },
      setting: { name: 'maxMemoryMb', suggested: mb(budget.heapLimitBytes) },
    });
  } else if (budget.heapLimitBytes > budget.limitBytes) {
    recommendations.push({
      severity: 'warning',
      message: `The V8 heap limit (${mb(budget.heapLimitBytes)} MB) is above the budget (${mb(budget.limitBytes)} MB): the heap can grow past it before V8 collects hard; start node with --max-old-space-size about 75% of the budget`,
      evidence: { heapLimitMb: mb(budget.heapLimitBytes), limitMb: mb(budget.limitBytes) },
      setting: {
        name: '--max-old-space-size',
        current: mb(budget.heapLimitBytes),
        suggested: Math.floor(mb(budget.limitBytes) * 0.75),
      },
    });
  }
  if (totals.criticalEntered > 0) {
    recommendations.push({
      severity: 'critical',
      message: `Memory pressure reached critical ${totals.criticalEntered} time(s): raise the memory limit or lower the caches' byte bounds so their sum stays under ${mb(governor.elevatedBytes)} MB`,
      evidence: {
        criticalEntered: totals.criticalEntered,
        consumerMb: mb(consumerBytes),
        limitMb: mb(budget.limitBytes),
      },
    });
  }
  if (governor.level !== 'normal' && consumers.length === 0) {
    recommendations.push({
      severity: 'warning',
      message:
        'Memory pressure with no registered consumer: nothing can be asked to shrink; what holds the memory is outside the caches (look at heap snapshots, external and array buffers)',
      evidence: { level: governor.level },
    });
  }
  const percent = sample ? sample.ratio * 100 : 0;
  return {
    metrics,
    efficiencyScore: efficiencyScore(percent <= 80 ? 100 : 100 - (percent - 80) * 5),
    health: memoryHealth(governor, readinessAtCritical),
    recommendations,
  };
}

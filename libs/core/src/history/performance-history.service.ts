import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';

import { BALLAST_CORE_OPTIONS, METRICS_REGISTRY } from '../core.constants.js';
import type { BallastCoreOptions } from '../core.options.js';
import type { MetricsRegistry } from '../metrics/metric.helpers.js';
import { PerformanceService, type ComponentView } from '../performance/performance.service.js';
import { RedactingLogger } from '../redaction/redacting.logger.js';
import { startNamedInterval } from '../utils/interval-registry.js';
import { HistoryBuffer, type HistoryColumns } from './history-buffer.js';
import { breakerStateSeries, HEALTH_CODE } from './history.series.js';

export interface HistoryView extends HistoryColumns {
  readonly interval_ms: number;
  readonly capacity: number;
  readonly samples: number;
  readonly bytes: number;
  readonly dropped_series: number;
}

/**
 * Samples the performance report (every component's numeric metrics, health and score), the
 * breakers' states and the process (RSS, heap, event-loop delay) every `history.intervalMs` into a
 * bounded ring, so the dashboard opened late still sees the trend. Runs while the performance API
 * is on.
 */
@Injectable()
export class PerformanceHistoryService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new RedactingLogger('BallastHistory');
  private readonly buffer: HistoryBuffer;
  private loopDelay?: IntervalHistogram;
  private stop?: () => void;
  private sampling = false;

  constructor(
    private readonly performance: PerformanceService,
    @Inject(METRICS_REGISTRY) private readonly registry: MetricsRegistry,
    @Inject(BALLAST_CORE_OPTIONS) private readonly options: BallastCoreOptions,
    private readonly moduleRef: ModuleRef,
  ) {
    const { intervalMs, retentionMs, maxSeries } = options.history;
    this.buffer = new HistoryBuffer(Math.ceil(retentionMs / intervalMs), maxSeries);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.options.performanceApi.enabled) return;
    this.loopDelay = monitorEventLoopDelay({ resolution: 10 });
    this.loopDelay.enable();
    this.stop = await startNamedInterval(
      this.moduleRef,
      'ballast:performance-history',
      this.options.history.intervalMs,
      () => void this.sample(),
    );
    await this.sample();
  }

  onApplicationShutdown(): void {
    this.stop?.();
    this.stop = undefined;
    this.loopDelay?.disable();
    this.loopDelay = undefined;
  }

  /** Samples taken after `sinceMs` (every sample held when undefined), oldest first. */
  read(sinceMs?: number): HistoryView {
    return {
      interval_ms: this.options.history.intervalMs,
      capacity: this.buffer.capacity,
      samples: this.buffer.size,
      bytes: this.buffer.bytes,
      dropped_series: this.buffer.droppedSeries,
      ...this.buffer.read(sinceMs),
    };
  }

  /** Takes one sample now; exposed for tests. A sample still running is not overlapped. */
  async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const values: [string, number][] = [];
      for (const component of await this.performance.components()) values.push(...componentSeries(component));
      values.push(...(await breakerStateSeries(this.registry)));
      values.push(...this.processSeries());
      this.buffer.push(Date.now(), values);
    } catch (error) {
      this.logger.warn(`History sample failed: ${(error as Error)?.message ?? error}`);
    } finally {
      this.sampling = false;
    }
  }

  private processSeries(): [string, number][] {
    const memory = process.memoryUsage();
    const out: [string, number][] = [
      ['process/rss_bytes', memory.rss],
      ['process/heap_used_bytes', memory.heapUsed],
      ['process/heap_limit_bytes', getHeapStatistics().heap_size_limit],
    ];
    const delay = this.loopDelay;
    if (delay && delay.count > 0) {
      out.push(
        ['process/event_loop_p99_ms', delay.percentile(99) / 1e6],
        ['process/event_loop_max_ms', delay.max / 1e6],
      );
      delay.reset(); // each sample shows the delay of its own interval
    }
    return out;
  }
}

/** `<kind>/<name>/<metric>` for every numeric (or boolean) metric, plus its health and score. */
function componentSeries(component: ComponentView): [string, number][] {
  const prefix = `${component.kind}/${component.name}/`;
  const out: [string, number][] = [
    [`${prefix}health`, HEALTH_CODE[component.health.status]],
    [`${prefix}score`, component.efficiency_score],
  ];
  for (const [metric, value] of Object.entries(component.metrics)) {
    if (typeof value === 'number') out.push([prefix + metric, value]);
    else if (typeof value === 'boolean') out.push([prefix + metric, value ? 1 : 0]);
  }
  return out;
}

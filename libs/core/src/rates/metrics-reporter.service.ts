import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';

import { BALLAST_CORE_OPTIONS, METRICS_REGISTRY } from '../core.constants.js';
import type { BallastCoreOptions } from '../core.options.js';
import type { MetricsRegistry } from '../metrics/metric.helpers.js';
import { RedactingLogger } from '../redaction/redacting.logger.js';
import { startNamedInterval } from '../utils/interval-registry.js';
import { ratesBetween, readMetricTotals, type MetricRates, type MetricTotals } from './metric-totals.js';

/**
 * The periodic metrics reporter: when `metricsReporter.enabled`, logs one JSON line every
 * `metricsReporter.intervalMs` with the rates since the previous line (a `@nestjs/schedule`
 * interval when the app has `ScheduleModule`). `snapshot()` gives the same figures on demand, from
 * the last line (or start-up) to now, whether or not the job runs.
 */
@Injectable()
export class MetricsReporterService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new RedactingLogger('BallastMetricsReporter');
  private last?: MetricTotals;
  private stop?: () => void;
  private reporting = false;

  constructor(
    @Inject(METRICS_REGISTRY) private readonly registry: MetricsRegistry,
    @Inject(BALLAST_CORE_OPTIONS) private readonly options: BallastCoreOptions,
    private readonly moduleRef: ModuleRef,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { enabled, intervalMs } = this.options.metricsReporter;
    // The baseline for the first line and for GET /rates; nothing to read when neither can be asked.
    if (!enabled && !this.options.performanceApi.enabled) return;
    this.last = await readMetricTotals(this.registry);
    if (!enabled) return;
    this.stop = await startNamedInterval(
      this.moduleRef,
      'ballast:metrics-reporter',
      intervalMs,
      () => void this.report(),
    );
  }

  onApplicationShutdown(): void {
    this.stop?.();
    this.stop = undefined;
  }

  /** Rates from the last logged line (or start-up) to now; does not start a new interval. */
  async snapshot(): Promise<MetricRates> {
    const now = await readMetricTotals(this.registry);
    return ratesBetween(this.last ?? now, now);
  }

  /** Logs one line with the rates since the previous one and starts the next interval; returns them. */
  async report(): Promise<MetricRates | undefined> {
    if (this.reporting) return undefined;
    this.reporting = true;
    try {
      const now = await readMetricTotals(this.registry);
      const rates = ratesBetween(this.last ?? now, now);
      this.last = now;
      // One line, machine-readable: log shippers parse the JSON after the context.
      this.logger.log(JSON.stringify({ event: 'ballast.metrics', ...rates }));
      return rates;
    } catch (error) {
      this.logger.warn(`Metrics report failed: ${(error as Error)?.message ?? error}`);
      return undefined;
    } finally {
      this.reporting = false;
    }
  }
}

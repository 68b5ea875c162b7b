import { Controller, Get, Query, UseGuards } from '@nestjs/common';

import { PERFORMANCE_API_PATH } from '../core.constants.js';
import { worstHealth } from '../health/health.status.js';
import { PerformanceHistoryService } from '../history/performance-history.service.js';
import { MetricsReporterService } from '../rates/metrics-reporter.service.js';
import { EpochMsPipe } from './epoch-ms.pipe.js';
import { LifetimeSecondsPipe } from './lifetime-query.pipe.js';
import { PerformanceApiGuard } from './performance-api.guard.js';
import { PerformanceService, type ComponentView } from './performance.service.js';

const metricsOf = (c: ComponentView) => ({
  name: c.name,
  health: c.health.status,
  efficiency_score: c.efficiency_score,
  metrics: c.metrics,
});

/** The performance API; every route answers from the registered reporters. */
@Controller(PERFORMANCE_API_PATH)
@UseGuards(PerformanceApiGuard)
export class PerformanceController {
  constructor(
    private readonly performance: PerformanceService,
    private readonly history: PerformanceHistoryService,
    private readonly metricsReporter: MetricsReporterService,
  ) {}

  @Get('report')
  report() {
    return this.performance.report();
  }

  /** The sampled history the dashboard charts; `since` (epoch ms) returns only later samples. */
  @Get('history')
  historyOf(@Query('since', EpochMsPipe) since: number | undefined) {
    return this.history.read(since);
  }

  /** The metrics reporter's figures: rates from its last line (or start-up) to now. */
  @Get('rates')
  rates() {
    return this.metricsReporter.snapshot();
  }

  @Get('health')
  async health() {
    const components = await this.performance.components();
    return {
      overall_health: worstHealth(components.map((c) => c.health.status)),
      components: components.map((c) => ({ name: c.name, kind: c.kind, ...c.health })),
    };
  }

  @Get('cache/metrics')
  async cacheMetrics() {
    return { caches: (await this.performance.components('cache')).map(metricsOf) };
  }

  @Get('cache/recommendations')
  async cacheRecommendations() {
    return { recommendations: await this.performance.recommendations('cache') };
  }

  @Get('pools/metrics')
  async poolMetrics() {
    return { pools: (await this.performance.components('pool')).map(metricsOf) };
  }

  @Get('pools/recommendations')
  async poolRecommendations() {
    return { recommendations: await this.performance.recommendations('pool') };
  }

  @Get('resources/stats')
  async resourceStats() {
    return { tracking: this.performance.tracking, resources: await this.performance.components('resources') };
  }

  @Get('resources/leaks')
  async leaks(@Query('max_lifetime_seconds', LifetimeSecondsPipe) maxLifetimeSeconds: number | undefined) {
    const leaks = await this.performance.leaks(
      maxLifetimeSeconds === undefined ? undefined : maxLifetimeSeconds * 1000,
    );
    return {
      tracking: this.performance.tracking,
      max_lifetime_seconds: maxLifetimeSeconds ?? null,
      count: leaks.length,
      leaks,
    };
  }
}

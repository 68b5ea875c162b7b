import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Registry, collectDefaultMetrics } from 'prom-client';

import type { MetricsRegistry } from './metrics/metric.helpers.js';

import { ServingCapacityRegistry } from './admission/serving-capacity.registry.js';
import { BALLAST_CORE_OPTIONS, METRICS_REGISTRY, RESOURCE_REGISTRY } from './core.constants.js';
import { ConfigurableCoreModule, CORE_MODULE_OPTIONS, CORE_OPTIONS_TYPE } from './core.module-definition.js';
import { coreOptions, type BallastCoreModuleOptions, type BallastCoreOptions } from './core.options.js';
import { DashboardController } from './dashboard/dashboard.controller.js';
import { BallastHealthIndicator } from './health/ballast-health.indicator.js';
import { HealthContributorRegistry } from './health/health-contributor.registry.js';
import { PerformanceHistoryService } from './history/performance-history.service.js';
import { MetricsEndpoint } from './metrics/metrics.endpoint.js';
import { registerProcessMetrics } from './metrics/process.metrics.js';
import { PageQueryPipe } from './pagination/page-query.pipe.js';
import { PerformanceApiGuard } from './performance/performance-api.guard.js';
import { PerformanceController } from './performance/performance.controller.js';
import { PerformanceService } from './performance/performance.service.js';
import { MetricsReporterService } from './rates/metrics-reporter.service.js';
import { ReporterRegistry } from './reporting/reporter.registry.js';
import { ResourceRegistryHolder } from './resources/resource-registry.holder.js';

function createRegistry(options: BallastCoreOptions): MetricsRegistry {
  const registry = options.metrics.registry ?? new Registry();
  const { defaultMetrics, prefix } = options.metrics;
  // A handed-in registry may already carry the default metrics; registering them twice throws.
  if (defaultMetrics && !registry.getSingleMetric(`${prefix}process_cpu_user_seconds_total`)) {
    collectDefaultMetrics({ register: registry, prefix });
  }
  registerProcessMetrics(registry);
  return registry;
}

/**
 * The shared kernel every Ballast module builds on: one metrics registry and `/metrics`, the health
 * model, the reporter registry and performance API, and the resource registry the tracker fills.
 * Global by default, so feature modules inject its providers without importing it.
 */
@Module({
  imports: [TerminusModule],
  controllers: [PerformanceController, DashboardController],
  providers: [
    {
      provide: BALLAST_CORE_OPTIONS,
      useFactory: (raw: BallastCoreModuleOptions): BallastCoreOptions => coreOptions.parse(raw),
      inject: [CORE_MODULE_OPTIONS],
    },
    { provide: METRICS_REGISTRY, useFactory: createRegistry, inject: [BALLAST_CORE_OPTIONS] },
    { provide: RESOURCE_REGISTRY, useClass: ResourceRegistryHolder },
    BallastHealthIndicator,
    HealthContributorRegistry,
    ServingCapacityRegistry,
    ReporterRegistry,
    PerformanceService,
    PerformanceHistoryService,
    MetricsReporterService,
    PerformanceApiGuard,
    PageQueryPipe,
    MetricsEndpoint,
  ],
  exports: [
    BALLAST_CORE_OPTIONS,
    METRICS_REGISTRY,
    RESOURCE_REGISTRY,
    BallastHealthIndicator,
    HealthContributorRegistry,
    ServingCapacityRegistry,
    ReporterRegistry,
    PerformanceService,
    PerformanceHistoryService,
    MetricsReporterService,
    PageQueryPipe,
  ],
})
export class BallastCoreModule extends ConfigurableCoreModule {
  /** Every option has a default, so `forRoot()` with no argument is the common case. */
  static override forRoot(options: typeof CORE_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }
}

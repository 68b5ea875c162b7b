import {
  appIntervalRegistry,
  HealthContributorRegistry,
  METRICS_REGISTRY,
  RESOURCE_REGISTRY,
  ReporterRegistry,
  ServingCapacityRegistry,
  type MetricsRegistry,
  type ResourceRegistry,
} from '@ballast/core';
import { Module, type DynamicModule } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';

import { POOL_MODULE_OPTIONS_RESOLVED } from './pool.constants.js';
import { ConfigurablePoolModule, POOL_MODULE_OPTIONS, POOL_OPTIONS_TYPE } from './pool.module-definition.js';
import { poolOptions, type PoolModuleOptions, type ResolvedPoolModuleOptions } from './pool.options.js';
import { PoolRegistry } from './pool.registry.js';

/**
 * Database (TypeORM/pg), Redis (ioredis) and HTTP (undici) pools with HikariCP semantics, metrics,
 * health checks and reports. Needs BallastCoreModule; uses @nestjs/schedule's SchedulerRegistry
 * for housekeeping when ScheduleModule is imported.
 *
 * @example
 * PoolModule.forRootAsync({
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) =>
 *     optionsFromEnv(poolOptions, config, { databases: { main: { url: config.get('DATABASE_URL'), typeorm: { entities: [Ticket] } } } }),
 *   dataSources: ['main'],
 * })
 */
@Module({
  providers: [
    {
      provide: POOL_MODULE_OPTIONS_RESOLVED,
      useFactory: (raw: PoolModuleOptions): ResolvedPoolModuleOptions => poolOptions.parse(raw),
      inject: [POOL_MODULE_OPTIONS],
    },
    {
      provide: PoolRegistry,
      // Opened while providers are created: whoever injects the registry gets initialised pools.
      useFactory: async (
        options: ResolvedPoolModuleOptions,
        metrics: MetricsRegistry,
        health: HealthContributorRegistry,
        reporters: ReporterRegistry,
        resources: ResourceRegistry,
        moduleRef: ModuleRef,
        capacity: ServingCapacityRegistry | undefined,
      ) => {
        const scheduler = await appIntervalRegistry(moduleRef);
        const registry = new PoolRegistry({ options, metrics, health, reporters, resources, scheduler, capacity });
        await registry.open();
        return registry;
      },
      inject: [
        POOL_MODULE_OPTIONS_RESOLVED,
        METRICS_REGISTRY,
        HealthContributorRegistry,
        ReporterRegistry,
        RESOURCE_REGISTRY,
        ModuleRef,
        // Optional: a core older than the registry (or a test double of core) still works.
        { token: ServingCapacityRegistry, optional: true },
      ],
    },
  ],
  exports: [PoolRegistry, POOL_MODULE_OPTIONS_RESOLVED],
})
export class PoolModule extends ConfigurablePoolModule {
  /** `forRoot()` with no argument: every option has a default or an environment variable. */
  static override forRoot(options: typeof POOL_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }
}

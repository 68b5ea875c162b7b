import { BallastCoreModule, coreOptions, mergeOptions, optionsFromEnv } from '@ballast/core';
import { MemoryModule, MemorySheddingGuard, memoryOptions } from '@ballast/memory';
import { ResourceTrackerModule, trackerOptions } from '@ballast/tracker';
import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { TerminusModule } from '@nestjs/terminus';

import { DashboardController } from './dashboard/dashboard.controller.js';
import { HealthController } from './health/health.controller.js';
import { DataModule } from './infra/data.module.js';
import { LeakDemoController } from './leaks/leak-demo.controller.js';
import { ModelsModule } from './models/models.module.js';
import { TicketsModule } from './tickets/tickets.module.js';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, cache: true }),
    ScheduleModule.forRoot(),
    // No gracefulShutdownTimeoutMs: enableGracefulShutdown() in main.ts answers readiness 503 and
    // waits BALLAST_SHUTDOWN_PRE_STOP_DELAY_MS before Nest's close even starts.
    TerminusModule,
    BallastCoreModule.forRootAsync({
      inject: [ConfigService],
      // The demo shows the performance API and its dashboard; a deployment can still turn them off
      // (BALLAST_PERFORMANCE_API=false turns both off, BALLAST_DASHBOARD=false the page alone).
      useFactory: (config: ConfigService) => {
        const options = optionsFromEnv(coreOptions, config, { performanceApi: { enabled: true } });
        return mergeOptions({ dashboard: { enabled: options.performanceApi.enabled !== false } }, options);
      },
    }),
    // Early, so it is installed behind RESOURCE_REGISTRY before other modules open anything.
    ResourceTrackerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => optionsFromEnv(trackerOptions, config),
    }),
    // One budget for the process (BALLAST_MEMORY_*): the caches and the model cache register with it
    // and shrink under pressure; its panel on the dashboard shows the budget, thresholds and level.
    MemoryModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => optionsFromEnv(memoryOptions, config),
    }),
    DataModule,
    TicketsModule,
    ModelsModule,
  ],
  controllers: [HealthController, DashboardController, LeakDemoController],
  // Sheds new requests with 503 + Retry-After while memory pressure is critical (not /health, /metrics).
  providers: [{ provide: APP_GUARD, useExisting: MemorySheddingGuard }],
})
export class AppModule {}

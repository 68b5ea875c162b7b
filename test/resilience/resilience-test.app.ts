import { BallastCoreModule, HealthContributorRegistry } from '@ballast/core';
import { ResilienceModule, type ResilienceModuleOptions } from '@ballast/resilience';
import { Controller, Get, Inject, type INestApplication, type ModuleMetadata } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';

@Controller('health')
class ReadinessController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HealthContributorRegistry) private readonly contributors: HealthContributorRegistry,
  ) {}

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check(this.contributors.checks('readiness'));
  }
}

/** A Ballast app with core (metrics, health, performance API), the scheduler and the resilience module. */
export async function startApp(
  options: ResilienceModuleOptions,
  extra: Pick<ModuleMetadata, 'providers' | 'controllers' | 'imports'> = {},
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      BallastCoreModule.forRoot({ performanceApi: { enabled: true }, metrics: { defaultMetrics: false } }),
      TerminusModule,
      ScheduleModule.forRoot(),
      ResilienceModule.forRoot(options),
      ...(extra.imports ?? []),
    ],
    controllers: [ReadinessController, ...(extra.controllers ?? [])],
    providers: extra.providers ?? [],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

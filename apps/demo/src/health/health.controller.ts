import { HealthContributorRegistry, type ProbeKind } from '@ballast/core';
import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, MemoryHealthIndicator } from '@nestjs/terminus';

/** Liveness leaves dependencies out: a slow database must not get the pod restarted. */
const HEAP_LIMIT_BYTES = 1.5 * 1024 ** 3;

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly contributors: HealthContributorRegistry,
    private readonly memory: MemoryHealthIndicator,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([
      () => this.memory.checkHeap('heap', HEAP_LIMIT_BYTES),
      ...this.contributors.checks('liveness'),
    ]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.check('readiness');
  }

  @Get('startup')
  @HealthCheck()
  startup() {
    return this.check('startup');
  }

  private check(kind: ProbeKind) {
    return this.health.check(this.contributors.checks(kind));
  }
}

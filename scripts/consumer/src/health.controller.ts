import { HealthContributorRegistry } from '@ballast/core';
import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly contributors: HealthContributorRegistry,
  ) {}

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check(this.contributors.checks('readiness'));
  }
}

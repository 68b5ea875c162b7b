import { PERFORMANCE_API_PATH } from '@ballast/core';
import { Body, Controller, Get, Param, Put, UseGuards } from '@nestjs/common';

import { BreakerStateBodyPipe } from './breaker-state-body.pipe.js';
import { BreakerOperatorService } from './breaker-operator.service.js';
import { OperatorAccessGuard } from './operator-access.guard.js';
import { PerformanceApiAccessGuard } from './performance-api-access.guard.js';
import type { BreakerStateBody } from './operator-state.js';

/**
 * The breakers under the performance API: read them, and set or end an operator state. Guarded by
 * core's `PerformanceApiGuard` as the rest of that API (404 while it is off, the app's guard or the
 * admin token); changing a state also needs the API to be protected at all (403 otherwise).
 */
@Controller(`${PERFORMANCE_API_PATH}/breakers`)
@UseGuards(PerformanceApiAccessGuard)
export class BreakerOperatorController {
  constructor(private readonly operator: BreakerOperatorService) {}

  @Get()
  list() {
    return this.operator.list();
  }

  @Get(':name')
  one(@Param('name') name: string) {
    return this.operator.one(name);
  }

  /** `{"state": "forced-open" | "disabled" | "metrics-only" | "closed"}`; answers the breaker after. */
  @Put(':name/state')
  @UseGuards(OperatorAccessGuard)
  setState(@Param('name') name: string, @Body(BreakerStateBodyPipe) body: BreakerStateBody) {
    return this.operator.set(name, body.state);
  }
}

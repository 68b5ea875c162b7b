import { BallastHealthIndicator } from '@ballast/core';
import { Injectable, Optional } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';

import { breakersHealth } from './resilience.health.js';
import { ResilienceLifecycle } from './resilience.lifecycle.js';
import { ResilienceRuntime } from './resilience.runtime.js';

/**
 * A Terminus indicator for apps that list their checks by hand:
 * `this.health.check([() => this.resilience.isHealthy()])`. The module also registers the same
 * check with core's HealthContributorRegistry, so `/health/ready` of a Ballast app has it already.
 */
@Injectable()
export class ResilienceHealthIndicator {
  constructor(
    private readonly runtime: ResilienceRuntime,
    private readonly lifecycle: ResilienceLifecycle,
    @Optional() private readonly indicator?: BallastHealthIndicator,
  ) {}

  isHealthy<const Key extends string = 'resilience'>(key?: Key): Promise<HealthIndicatorResult<Key>> {
    if (this.indicator === undefined) {
      return Promise.reject(
        new Error('ResilienceHealthIndicator needs BallastCoreModule (and TerminusModule) in the app'),
      );
    }
    return this.indicator.check((key ?? 'resilience') as Key, () =>
      breakersHealth(this.runtime, this.lifecycle.sharedStateHealth),
    );
  }
}

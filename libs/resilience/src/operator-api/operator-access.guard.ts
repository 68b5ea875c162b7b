import { BALLAST_CORE_OPTIONS, type BallastCoreOptions } from '@ballast/core';
import { ForbiddenException, Inject, Injectable, Optional, type CanActivate } from '@nestjs/common';

/**
 * Runs after core's `PerformanceApiGuard` on the routes that change a breaker: a performance API
 * left open (no admin token, no guard of the app's) may be read by anyone who reaches it, but must
 * never let anyone force a breaker open or switch it off.
 */
@Injectable()
export class OperatorAccessGuard implements CanActivate {
  constructor(
    // Optional so the module starts without core; the performance API guard answers 404 before this runs then.
    @Optional() @Inject(BALLAST_CORE_OPTIONS) private readonly options: BallastCoreOptions | undefined,
  ) {}

  canActivate(): boolean {
    const { adminToken, guard } = this.options?.performanceApi ?? {};
    if (!adminToken && !guard) {
      throw new ForbiddenException(
        'Changing a circuit breaker needs a protected performance API: set performanceApi.adminToken ' +
          '(BALLAST_ADMIN_TOKEN) or performanceApi.guard; the API is open, so it is read-only',
      );
    }
    return true;
  }
}

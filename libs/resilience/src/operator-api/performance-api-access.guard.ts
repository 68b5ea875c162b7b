import { PerformanceApiGuard } from '@ballast/core';
import { Injectable, NotFoundException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';

/**
 * Core's `PerformanceApiGuard` (404 while the API is off, then the app's guard or the admin token),
 * looked up in the app rather than injected: the resilience module also runs without
 * `BallastCoreModule`, and then there is no performance API, so its routes answer 404.
 */
@Injectable()
export class PerformanceApiAccessGuard implements CanActivate {
  private guard: CanActivate | null | undefined;

  constructor(private readonly moduleRef: ModuleRef) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    this.guard ??= this.find();
    if (this.guard === null) throw new NotFoundException();
    return this.guard.canActivate(context) as boolean | Promise<boolean>;
  }

  private find(): CanActivate | null {
    try {
      return this.moduleRef.get(PerformanceApiGuard, { strict: false });
    } catch {
      return null;
    }
  }
}

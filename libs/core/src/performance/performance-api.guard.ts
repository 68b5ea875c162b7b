import { timingSafeEqual, createHash } from 'node:crypto';

import {
  Inject,
  Injectable,
  NotFoundException,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
  type Type,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';

import { BALLAST_CORE_OPTIONS } from '../core.constants.js';
import type { BallastCoreOptions } from '../core.options.js';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Guards the performance API: 404 while it is off, then the app's own guard when one is given,
 * else the bearer token when one is set, else open.
 */
@Injectable()
export class PerformanceApiGuard implements CanActivate {
  private appGuard?: Promise<CanActivate>;
  private readonly tokenDigest?: Buffer;

  constructor(
    @Inject(BALLAST_CORE_OPTIONS) private readonly options: BallastCoreOptions,
    private readonly moduleRef: ModuleRef,
  ) {
    const token = options.performanceApi.adminToken;
    if (token) this.tokenDigest = digest(token);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const { enabled, guard } = this.options.performanceApi;
    if (!enabled) throw new NotFoundException();
    if (guard) {
      this.appGuard ??= this.resolveGuard(guard);
      return (await (await this.appGuard).canActivate(context)) as boolean;
    }
    if (!this.tokenDigest) return true;
    const header = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>()
      .headers.authorization;
    const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    // Comparing fixed-length digests keeps the check constant-time whatever the token's length.
    if (!match || !timingSafeEqual(digest(match[1]!), this.tokenDigest)) {
      throw new UnauthorizedException('A valid bearer token is required (Authorization: Bearer <BALLAST_ADMIN_TOKEN>)');
    }
    return true;
  }

  private async resolveGuard(guard: Type<CanActivate> | CanActivate): Promise<CanActivate> {
    if (typeof guard !== 'function') return guard;
    try {
      return this.moduleRef.get(guard, { strict: false });
    } catch {
      return this.moduleRef.create(guard);
    }
  }
}

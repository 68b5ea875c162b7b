import {
  Inject,
  Injectable,
  ServiceUnavailableException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';

import { MemoryGovernorService } from './memory-governor.service.js';
import { MEMORY_OPTIONS, MEMORY_SHEDDING_METADATA } from './memory.constants.js';
import type { MemoryOptions } from './memory.options.js';

interface HttpResponseLike {
  header?(name: string, value: string): unknown;
  setHeader?(name: string, value: string): unknown;
}

function isExempt(path: string, prefixes: readonly string[]): boolean {
  for (const prefix of prefixes) {
    if (!path.startsWith(prefix)) continue;
    const next = path.charCodeAt(prefix.length);
    if (Number.isNaN(next) || next === 47 /* / */ || next === 63 /* ? */ || prefix.endsWith('/')) return true;
  }
  return false;
}

/**
 * Answers 503 + `Retry-After` (`code: memory_pressure`) for new requests while memory pressure is
 * critical, so the process spends what it has left on the work already admitted. Register it
 * globally (`{ provide: APP_GUARD, useExisting: MemorySheddingGuard }`); `@MemoryShedding(false)`
 * exempts a route, `shedExemptPaths` exempts probes and scrapes.
 */
@Injectable()
export class MemorySheddingGuard implements CanActivate {
  constructor(
    private readonly memory: MemoryGovernorService,
    @Inject(MEMORY_OPTIONS) private readonly options: MemoryOptions,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.memory.level !== 'critical' || context.getType() !== 'http') return true;
    const route = this.reflector.getAllAndOverride<boolean | undefined>(MEMORY_SHEDDING_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!(route ?? this.options.shedAtCritical)) return true;
    const http = context.switchToHttp();
    const path = (http.getRequest<{ url?: string }>().url ?? '/').toString();
    if (route === undefined && isExempt(path, this.options.shedExemptPaths)) return true;
    this.memory.recordShed();
    const response = http.getResponse<HttpResponseLike>();
    const retryAfter = String(this.options.retryAfterSeconds);
    if (typeof response.header === 'function') response.header('Retry-After', retryAfter);
    else response.setHeader?.('Retry-After', retryAfter);
    throw new ServiceUnavailableException({
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'memory_pressure',
      dependency: 'memory',
      retryAfterSeconds: this.options.retryAfterSeconds,
      message: 'The service is short of memory; retry shortly',
    });
  }
}

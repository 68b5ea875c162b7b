import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { from, lastValueFrom, type Observable } from 'rxjs';

import { CACHE_RESPONSE_METADATA, DEFAULT_CACHE_NAME } from '../cache.constants.js';
import { CacheRegistry } from '../cache.registry.js';
import type { CacheResponseOptions, CacheVary } from '../decorators/cache-response.decorator.js';

interface HttpRequestLike {
  method?: string;
  url?: string;
  originalUrl?: string;
  headers?: Record<string, string | string[] | undefined>;
  user?: { id?: unknown; sub?: unknown };
}

function header(request: HttpRequestLike, name: string): string {
  const value = request.headers?.[name.toLowerCase()];
  return (Array.isArray(value) ? value.join(',') : value) ?? '';
}

function varyPart(request: HttpRequestLike, vary: CacheVary): string {
  if (vary === 'user') return `u=${String(request.user?.id ?? request.user?.sub ?? '-')}`;
  if (vary === 'locale') {
    const tag = header(request, 'accept-language').split(',')[0]!.split(';')[0]!.trim().toLowerCase();
    return `l=${tag || '-'}`;
  }
  const name = vary.slice('header:'.length);
  return `h.${name}=${header(request, name)}`;
}

/**
 * Caches GET handlers with single-flight: concurrent requests for one key run the handler once and
 * all get its result (@nestjs/cache-manager's interceptor ran it for each of 50 concurrent cold
 * GETs). Errors are not cached. Handlers opt in with `@CacheResponse()`, or every GET handler of a
 * controller when it carries the decorator; without it the interceptor uses the default cache.
 */
@Injectable()
export class HttpCacheInterceptor implements NestInterceptor {
  constructor(
    private readonly caches: CacheRegistry,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const options =
      this.reflector.getAllAndOverride<CacheResponseOptions | undefined>(CACHE_RESPONSE_METADATA, [
        context.getHandler(),
        context.getClass(),
      ]) ?? {};
    const request = context.switchToHttp().getRequest<HttpRequestLike>();
    if (options.disabled || request.method !== 'GET') return next.handle();
    const cache = this.caches.get(options.cache ?? DEFAULT_CACHE_NAME);
    const key = this.keyOf(context, request, options);
    return from(
      cache.wrap(key, () => lastValueFrom(next.handle()), {
        ttlMs: options.ttlMs,
        staleWhileRevalidateMs: options.staleWhileRevalidateMs,
        tags: options.tags,
      }),
    );
  }

  private keyOf(context: ExecutionContext, request: HttpRequestLike, options: CacheResponseOptions): string {
    const base =
      typeof options.key === 'function'
        ? options.key(context)
        : (options.key ?? `http:${request.method} ${request.originalUrl ?? request.url ?? ''}`);
    const vary = options.varyBy ?? [];
    return vary.length === 0 ? base : `${base}|${vary.map((v) => varyPart(request, v)).join('|')}`;
  }
}

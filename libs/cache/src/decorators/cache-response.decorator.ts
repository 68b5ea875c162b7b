import { SetMetadata, type ExecutionContext } from '@nestjs/common';

import { CACHE_RESPONSE_METADATA } from '../cache.constants.js';

/**
 * What a cached response varies by, beyond method and URL: `user` (request.user.id or .sub),
 * `locale` (the first Accept-Language tag) or `header:<name>`.
 */
export type CacheVary = 'user' | 'locale' | `header:${string}`;

export interface CacheResponseOptions {
  /** Named cache; the default cache without one. */
  readonly cache?: string;
  readonly ttlMs?: number;
  readonly staleWhileRevalidateMs?: number;
  readonly varyBy?: readonly CacheVary[];
  /** A key of your own (replaces method + URL; `varyBy` is still appended). */
  readonly key?: string | ((context: ExecutionContext) => string);
  readonly tags?: readonly string[];
  /** Turn caching off for a handler inside a cached controller. */
  readonly disabled?: boolean;
}

/**
 * Caches a GET handler's result through `HttpCacheInterceptor`, one handler run per key however
 * many requests arrive together. On a controller, applies to all its GET handlers.
 *
 * @example
 * @Get('stats') @UseInterceptors(HttpCacheInterceptor) @CacheResponse({ cache: 'tickets', ttlMs: 5_000, varyBy: ['locale'] })
 */
export const CacheResponse = (options: CacheResponseOptions = {}) => SetMetadata(CACHE_RESPONSE_METADATA, options);

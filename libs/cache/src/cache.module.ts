import { Module, type DynamicModule } from '@nestjs/common';

import { AsyncTTLCache } from './async-ttl-cache.js';
import { CACHE_OPTIONS, getCacheToken } from './cache.constants.js';
import { CacheHealth } from './cache.health.js';
import { CacheMetrics } from './cache.metrics.js';
import { CACHE_MODULE_OPTIONS, CACHE_OPTIONS_TYPE, ConfigurableCacheModule } from './cache.module-definition.js';
import { cacheOptions, type CacheModuleOptions, type ResolvedCacheModuleOptions } from './cache.options.js';
import { CacheRegistry } from './cache.registry.js';
import { CacheReporter } from './cache.reporter.js';
import { CachePurgeScheduler } from './cache-purge.scheduler.js';
import { HttpCacheInterceptor } from './interceptors/http-cache.interceptor.js';

const defaultCache = getCacheToken();

/**
 * Bounded async TTL caches with single-flight loading, an optional Redis L2 shared by every
 * instance, metrics, health and a performance reporter. Global by default. With forRootAsync, list
 * the named caches to inject in `cacheNames`: the factory's options are not known before it runs.
 *
 * @example
 * CacheModule.forRoot({ ttlMs: 60_000, caches: { tickets: { ttlMs: 5_000, maxEntries: 1_000 } } })
 * CacheModule.forRootAsync({
 *   inject: [ConfigService], cacheNames: ['tickets'],
 *   useFactory: (config: ConfigService) => optionsFromEnv(cacheOptions, config, { caches: { tickets: { ttlMs: 5_000 } } }),
 * })
 */
@Module({
  providers: [
    {
      provide: CACHE_OPTIONS,
      useFactory: (raw: CacheModuleOptions): ResolvedCacheModuleOptions => cacheOptions.parse(raw),
      inject: [CACHE_MODULE_OPTIONS],
    },
    CacheMetrics,
    CacheRegistry,
    CacheHealth,
    CacheReporter,
    CachePurgeScheduler,
    HttpCacheInterceptor,
    { provide: defaultCache, useFactory: (registry: CacheRegistry) => registry.get(), inject: [CacheRegistry] },
    { provide: AsyncTTLCache, useExisting: defaultCache },
  ],
  exports: [CACHE_OPTIONS, CacheRegistry, HttpCacheInterceptor, defaultCache, AsyncTTLCache],
})
export class CacheModule extends ConfigurableCacheModule {
  /** Every key of `caches` becomes injectable with `@InjectCache(name)`. */
  static override forRoot(options: typeof CACHE_OPTIONS_TYPE = {}): DynamicModule {
    const cacheNames = [...(options.cacheNames ?? []), ...Object.keys(options.caches ?? {})];
    return super.forRoot({ ...options, cacheNames });
  }
}

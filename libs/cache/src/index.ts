export { AsyncTTLCache, type CacheLoader } from './async-ttl-cache.js';
export type {
  AsyncTTLCacheOptions,
  CacheSetOptions,
  CacheSettingsInput,
  ResolvedCacheSettings,
} from './async-ttl-cache.options.js';

export { CACHE_OPTIONS, DEFAULT_CACHE_NAME, getCacheToken } from './cache.constants.js';
export { CacheModule } from './cache.module.js';
export {
  cacheOptions,
  DEFAULT_MAX_BYTES,
  type CacheModuleOptions,
  type NamedCacheOptions,
  type ResolvedCacheModuleOptions,
} from './cache.options.js';
export { CacheRegistry } from './cache.registry.js';
export { cacheMemoryConsumer } from './cache.memory-consumer.js';
export { CacheMetrics } from './cache.metrics.js';
export { cacheHealth, CacheHealth } from './cache.health.js';
export { cacheRecommendations, cacheReport, CacheReporter, cacheScore } from './cache.reporter.js';
export { CachePurgeScheduler } from './cache-purge.scheduler.js';

export { InjectCache } from './decorators/inject-cache.decorator.js';
export { Cacheable, defaultMethodKey, type CacheableOptions } from './decorators/cacheable.decorator.js';
export { CacheEvict, type CacheEvictOptions } from './decorators/cache-evict.decorator.js';
export { CacheResponse, type CacheResponseOptions, type CacheVary } from './decorators/cache-response.decorator.js';
export { HttpCacheInterceptor } from './interceptors/http-cache.interceptor.js';

export { createKeyv, KeyvCacheStore } from './keyv/keyv-cache.store.js';

export type { CacheStats } from './interfaces/cache-stats.interface.js';
export type { CacheL2, InvalidationMessage, L2Entry, L2Listener } from './l2/cache-l2.interface.js';
export { RedisL2, type L2Serializer } from './l2/redis-l2.js';
export { RedisL2Connection, type RedisL2ConnectionOptions } from './l2/redis-l2.connection.js';

export { estimateSize } from './sizing/size-estimator.js';
export { ENTRY_OVERHEAD_BYTES, sizeOfEntry } from './sizing/entry-size.js';
export { CoarseClock, sharedClock, type CacheClock } from './store/cache-clock.js';
export type { EvictionPolicy, RemovalReason } from './store/entry-store.js';

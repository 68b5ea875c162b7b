import { ConfigurableModuleBuilder, type Provider } from '@nestjs/common';

import { DEFAULT_CACHE_NAME, getCacheToken } from './cache.constants.js';
import type { CacheModuleOptions } from './cache.options.js';
import { CacheRegistry } from './cache.registry.js';

/** A provider per named cache, so `@InjectCache(name)` resolves; the default one is always there. */
export function namedCacheProviders(names: readonly string[]): Provider[] {
  return [...new Set(names)]
    .filter((name) => name !== DEFAULT_CACHE_NAME)
    .map((name) => ({
      provide: getCacheToken(name),
      useFactory: (registry: CacheRegistry) => registry.declare(name),
      inject: [CacheRegistry],
    }));
}

export const {
  ConfigurableModuleClass: ConfigurableCacheModule,
  MODULE_OPTIONS_TOKEN: CACHE_MODULE_OPTIONS,
  OPTIONS_TYPE: CACHE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: CACHE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<CacheModuleOptions>({ moduleName: 'Cache' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createCacheOptions')
  // `cacheNames`: the named caches to make injectable; forRootAsync must list them, since its
  // options only exist once the factory has run. forRoot adds the keys of `caches` by itself.
  .setExtras({ isGlobal: true, cacheNames: [] as string[] }, (definition, extras) => {
    const named = namedCacheProviders(extras.cacheNames);
    return {
      ...definition,
      global: extras.isGlobal,
      providers: [...(definition.providers ?? []), ...named],
      exports: [...(definition.exports ?? []), ...named.map((p) => (p as { provide: string }).provide)],
    };
  })
  .build();

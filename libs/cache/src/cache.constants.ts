/** Name of the cache that the module's top-level settings describe and `@InjectCache()` injects. */
export const DEFAULT_CACHE_NAME = 'default';

/** Validated `CacheModule` options with defaults filled in. */
export const CACHE_OPTIONS = Symbol('ballast:cache-options');

/** Injection token of a named cache; `@InjectCache(name)` is the short form. */
export function getCacheToken(name: string = DEFAULT_CACHE_NAME): string {
  return `ballast:cache:${name}`;
}

/** Metadata of `@CacheResponse()` on a handler or controller. */
export const CACHE_RESPONSE_METADATA = 'ballast:cache:response';

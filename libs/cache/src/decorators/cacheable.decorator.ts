import type { CacheSetOptions } from '../async-ttl-cache.options.js';
import { DEFAULT_CACHE_NAME } from '../cache.constants.js';
import { cacheDecoratorContext, copyMethodMetadata } from './cache-decorator.context.js';

/** Any async method: the decorators only apply to methods that return a promise. */
type AsyncMethod = (...args: never[]) => Promise<unknown>;

export interface CacheableOptions<A extends unknown[] = unknown[]> {
  /** Named cache to use; the default cache without one. */
  readonly cache?: string;
  /**
   * The key, or how to build it from the arguments (put user, locale or any argument in it to vary
   * by them). Default: `<Class>.<method>:<JSON of the arguments>`.
   */
  readonly key?: string | ((...args: A) => string);
  readonly ttlMs?: number;
  readonly staleWhileRevalidateMs?: number;
  readonly tags?: readonly string[] | ((...args: A) => readonly string[]);
}

/** The key `@Cacheable` uses when none is given. */
export function defaultMethodKey(className: string, method: string, args: readonly unknown[]): string {
  return `${className}.${method}:${JSON.stringify(args)}`;
}

/**
 * Caches what an async method resolves to, with single-flight: concurrent calls with the same key
 * run the method once. The method is wrapped where it is defined; outside a started app it runs
 * uncached.
 *
 * @example
 * @Cacheable({ cache: 'tickets', key: (id: string, locale: string) => `ticket:${id}:${locale}`, ttlMs: 30_000 })
 * async findTicket(id: string, locale: string): Promise<TicketView> { ... }
 */
export function Cacheable<A extends unknown[] = never[]>(options: CacheableOptions<A> = {}) {
  return <T extends AsyncMethod>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<T>,
  ): void => {
    const original = descriptor.value as unknown as (...args: A) => Promise<unknown>;
    if (typeof original !== 'function') throw new TypeError('@Cacheable() applies to methods');
    const className = (target as { constructor: { name: string } }).constructor.name;
    const method = String(propertyKey);
    const wrapper = function (this: unknown, ...args: A): Promise<unknown> {
      const registry = cacheDecoratorContext.current();
      if (registry === undefined) return original.apply(this, args);
      const key =
        typeof options.key === 'function'
          ? options.key(...args)
          : (options.key ?? defaultMethodKey(className, method, args));
      const setOptions: CacheSetOptions = {
        ttlMs: options.ttlMs,
        staleWhileRevalidateMs: options.staleWhileRevalidateMs,
        tags: typeof options.tags === 'function' ? options.tags(...args) : options.tags,
      };
      return registry.get(options.cache ?? DEFAULT_CACHE_NAME).wrap(key, () => original.apply(this, args), setOptions);
    };
    copyMethodMetadata(original, wrapper);
    descriptor.value = wrapper as unknown as T;
  };
}

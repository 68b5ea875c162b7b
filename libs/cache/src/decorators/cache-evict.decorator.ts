import { DEFAULT_CACHE_NAME } from '../cache.constants.js';
import { cacheDecoratorContext, copyMethodMetadata } from './cache-decorator.context.js';

/** Any async method: the decorators only apply to methods that return a promise. */
type AsyncMethod = (...args: never[]) => Promise<unknown>;
type FromArgs<A extends unknown[], T> = T | ((...args: A) => T);

export interface CacheEvictOptions<A extends unknown[] = unknown[]> {
  readonly cache?: string;
  /** Key or keys to delete. */
  readonly key?: FromArgs<A, string | readonly string[]>;
  /** Drop every key starting with this. */
  readonly prefix?: FromArgs<A, string>;
  /** Drop every entry carrying one of these tags. */
  readonly tags?: FromArgs<A, readonly string[]>;
  /** Drop everything in the cache. */
  readonly allEntries?: boolean;
  /** Evict before the method runs (and so also when it fails). Default: after it resolved. */
  readonly beforeInvocation?: boolean;
}

function resolve<A extends unknown[], T>(value: FromArgs<A, T> | undefined, args: A): T | undefined {
  return typeof value === 'function' ? (value as (...args: A) => T)(...args) : value;
}

async function evict<A extends unknown[]>(options: CacheEvictOptions<A>, args: A): Promise<void> {
  const registry = cacheDecoratorContext.current();
  if (registry === undefined) return;
  const cache = registry.get(options.cache ?? DEFAULT_CACHE_NAME);
  if (options.allEntries) {
    await cache.clear();
    return;
  }
  const keys = resolve(options.key, args);
  for (const key of typeof keys === 'string' ? [keys] : (keys ?? [])) await cache.delete(key);
  const prefix = resolve(options.prefix, args);
  if (prefix !== undefined) await cache.invalidatePrefix(prefix);
  const tags = resolve(options.tags, args);
  if (tags !== undefined && tags.length > 0) await cache.invalidateTags(...tags);
}

/**
 * Invalidates cache entries when an async method succeeds (or before it runs), here and, with an
 * L2, on every instance.
 *
 * @example
 * @CacheEvict({ cache: 'tickets', key: (id: string) => `ticket:${id}`, tags: ['ticket-stats'] })
 * async updateTicket(id: string, patch: TicketPatch): Promise<Ticket> { ... }
 */
export function CacheEvict<A extends unknown[] = never[]>(options: CacheEvictOptions<A>) {
  return <T extends AsyncMethod>(
    _target: object,
    _propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<T>,
  ): void => {
    const original = descriptor.value as unknown as (...args: A) => Promise<unknown>;
    if (typeof original !== 'function') throw new TypeError('@CacheEvict() applies to methods');
    const wrapper = async function (this: unknown, ...args: A): Promise<unknown> {
      if (options.beforeInvocation) await evict(options, args);
      const result = await original.apply(this, args);
      if (!options.beforeInvocation) await evict(options, args);
      return result;
    };
    copyMethodMetadata(original, wrapper);
    descriptor.value = wrapper as unknown as T;
  };
}

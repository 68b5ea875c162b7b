import type { CacheRegistry } from '../cache.registry.js';

/**
 * Where `@Cacheable` and `@CacheEvict` find the caches at call time. They wrap the method itself
 * when the class is defined (so calls from anywhere, scheduled jobs included, go through them) and
 * reach the module's registry lazily through this holder, which the registry fills as soon as it
 * exists. With several apps in one process the most recently started one serves the decorators.
 */
class CacheDecoratorContext {
  private readonly registries: CacheRegistry[] = [];

  attach(registry: CacheRegistry): void {
    this.registries.push(registry);
  }

  detach(registry: CacheRegistry): void {
    const index = this.registries.lastIndexOf(registry);
    if (index >= 0) this.registries.splice(index, 1);
  }

  current(): CacheRegistry | undefined {
    return this.registries[this.registries.length - 1];
  }
}

export const cacheDecoratorContext = new CacheDecoratorContext();

/** Copies what other decorators stored on the original method (route, guards...) onto its wrapper. */
export function copyMethodMetadata(from: object, to: object): void {
  for (const key of Reflect.getMetadataKeys(from)) {
    Reflect.defineMetadata(key, Reflect.getMetadata(key, from), to);
  }
  Object.defineProperty(to, 'name', { value: (from as { name?: string }).name, configurable: true });
}

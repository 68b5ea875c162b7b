import { NoopResourceRegistry } from './noop-resource.registry.js';
import type {
  LeakQuery,
  ResourceHandle,
  ResourceInfo,
  ResourceLeak,
  ResourceRegistry,
} from './resource-registry.interface.js';

/**
 * What core provides under `RESOURCE_REGISTRY`: a stable object every module can inject, which
 * forwards to the no-op until a tracker installs itself. Installing (rather than overriding the
 * token) keeps the outcome independent of the order in which global modules are imported.
 */
export class ResourceRegistryHolder implements ResourceRegistry {
  private delegate: ResourceRegistry = new NoopResourceRegistry();

  get tracking(): boolean {
    return this.delegate.tracking;
  }

  /** Called by the tracker while providers are being created, before any module opens anything. */
  install(registry: ResourceRegistry): void {
    this.delegate = registry;
  }

  uninstall(registry: ResourceRegistry): void {
    if (this.delegate === registry) this.delegate = new NoopResourceRegistry();
  }

  register(resource: object, info: ResourceInfo): ResourceHandle {
    return this.delegate.register(resource, info);
  }

  detectLeaks(query?: LeakQuery): ResourceLeak[] | Promise<ResourceLeak[]> {
    return this.delegate.detectLeaks(query);
  }
}

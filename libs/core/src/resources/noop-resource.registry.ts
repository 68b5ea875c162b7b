import type { ResourceHandle, ResourceLeak, ResourceRegistry } from './resource-registry.interface.js';

const NOOP_HANDLE: ResourceHandle = Object.freeze({
  id: 'untracked',
  release: () => undefined,
  annotate: () => undefined,
});

/** The registry in force until the tracker module replaces it: costs one call and nothing else. */
export class NoopResourceRegistry implements ResourceRegistry {
  readonly tracking = false;

  register(): ResourceHandle {
    return NOOP_HANDLE;
  }

  detectLeaks(): ResourceLeak[] {
    return [];
  }
}

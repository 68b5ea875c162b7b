/**
 * The contract between the modules that open resources (pools, caches, breakers) and the tracker
 * that watches them. Core provides a no-op; `ResourceTrackerModule` provides the real one. Modules
 * inject it with `@Inject(RESOURCE_REGISTRY)` and register what they open.
 */
export interface ResourceInfo {
  /** `db-connection`, `redis-client`, `socket`, `timer`, or any user type. */
  readonly type: string;
  /** Who is responsible for closing it: a module, provider or pool name. */
  readonly owner?: string;
  /** Anything that helps find it (redacted before it is stored or shown). */
  readonly details?: Readonly<Record<string, unknown>>;
  /** Expected to live as long as the app: never reported as held too long. */
  readonly longLived?: boolean;
  /**
   * Objects that belong to this resource, such as a connection's socket: recorded with the same
   * owner and lifetime, released with it, so the tracker's own signals do not report them apart.
   */
  readonly parts?: readonly object[];
}

export interface ResourceHandle {
  readonly id: string;
  /** Marks the resource closed; calling it twice is harmless. */
  release(): void;
  /** Adds or replaces details (state, peer address ...). */
  annotate(details: Readonly<Record<string, unknown>>): void;
}

export interface LeakQuery {
  /** Report what has been held longer than this. */
  readonly maxLifetimeMs?: number;
}

export interface ResourceLeak {
  readonly id: string;
  readonly type: string;
  readonly owner?: string;
  readonly ageMs: number;
  readonly reason: 'held-too-long' | 'never-released' | 'collected-without-close' | (string & {});
  readonly createdAt: string;
  readonly stack?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface ResourceRegistry {
  /** Whether anything is recorded; false for the no-op, so callers can skip work. */
  readonly tracking: boolean;
  register(resource: object, info: ResourceInfo): ResourceHandle;
  detectLeaks(query?: LeakQuery): ResourceLeak[] | Promise<ResourceLeak[]>;
}

import type { ResourceRegistry } from '@ballast/core';

/** How the pool makes, checks and disposes of its resources. */
export interface PoolFactory<T> {
  /**
   * Opens one resource. `context.signal` aborts at the connect timeout or when the pool closes;
   * `context.invalidate()` reports the resource broken later on (a socket error, a server that
   * went away) without the pool having to look it up.
   */
  create(context: CreateContext): Promise<T>;
  destroy(resource: T): void | Promise<void>;
  /** A round trip proving the resource still works; run only on resources idle longer than `validateAfterIdleMs`. */
  validate?(resource: T, signal: AbortSignal): boolean | Promise<boolean>;
}

export interface CreateContext {
  readonly signal: AbortSignal;
  /** Idle: removed at once. In use: removed when released. Safe to call any number of times. */
  invalidate(reason?: unknown): void;
}

/** Where the pool's periodic housekeeping runs; the Nest module plugs in `SchedulerRegistry`. */
export interface PoolScheduler {
  /** Runs `task` every `intervalMs` until the returned function is called. */
  every(name: string, intervalMs: number, task: () => void): () => void;
}

export interface PoolLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Repeats of a condition already logged at warn (each failed probe of an outage); dropped when absent. */
  debug?(message: string): void;
}

/** Notifications for adapters (the pg.Pool facade turns them into events); all optional. */
export interface PoolHooks<T> {
  created?(resource: T): void;
  acquired?(resource: T): void;
  released?(resource: T): void;
  destroyed?(resource: T, reason: string): void;
  error?(error: unknown, kind: PoolErrorKind, resource?: T): void;
}

export type PoolErrorKind = 'create' | 'validate' | 'destroy' | 'broken';

export interface ResourcePoolOptions<T> {
  /** Shown in errors, logs and the `db_client_connection_pool_name` label. */
  readonly name: string;
  /** `database`, `redis`, `http` or anything else; a metrics label. */
  readonly kind?: string;
  readonly factory: PoolFactory<T>;
  /** Resources kept open even when idle. Default 0. */
  readonly min?: number;
  /** Resources open at most, idle and used together. Default 10. */
  readonly max?: number;
  /**
   * How long `acquire()` waits before failing with PoolExhaustedError. Default 30 s (HikariCP's
   * connectionTimeout); PoolModule's pools default to 1 s, sized for a web request.
   */
  readonly acquireTimeoutMs?: number;
  /** How long one `factory.create()` may take. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** An idle resource is closed after this long, down to `min`; 0 never. Default 10 min. */
  readonly idleTimeoutMs?: number;
  /** A resource is closed at this age (when idle or on release); 0 never. Default 30 min. */
  readonly maxLifetimeMs?: number;
  /** Each resource's lifetime is shortened by a random fraction up to this, so they do not all expire together. Default 0.025. */
  readonly maxLifetimeJitter?: number;
  /** Idle resources unchecked for this long are validated in the background; 0 off. Default 0. */
  readonly keepaliveMs?: number;
  /** A resource idle longer than this is validated before it is lent. Default 500 ms. */
  readonly validateAfterIdleMs?: number;
  readonly validationTimeoutMs?: number;
  /** A lease held longer than this is reported as a possible leak; 0 off. Default 0. */
  readonly leakDetectionMs?: number;
  /** Capture the acquirer's stack when leak detection is on (costs ~1-2 µs per acquire). Default true. */
  readonly leakDetectionStacks?: boolean;
  /** Frames kept in a captured stack. Default 20. */
  readonly leakStackDepth?: number;
  /** First pause after a failed create; doubles up to `createRetryMaxMs`. Default 100 ms. */
  readonly createRetryInitialMs?: number;
  /**
   * Longest pause between two create attempts during an outage (each pause is half fixed, half
   * random). Default min(2 s, acquireTimeoutMs), at least `createRetryInitialMs`: a restored server
   * is noticed within about one acquire timeout.
   */
  readonly createRetryMaxMs?: number;
  /** Callers allowed to wait at once; past it acquire fails at once with PoolQueueFullError. Default unbounded. */
  readonly maxWaiters?: number;
  /** Housekeeping period: idle reaping, lifetime, min size, leak scan. Default 1 s. */
  readonly housekeepingIntervalMs?: number;
  /** How long `close()` waits for leases to come back by default. Default 10 s. */
  readonly shutdownTimeoutMs?: number;
  readonly scheduler?: PoolScheduler;
  readonly logger?: PoolLogger;
  readonly hooks?: PoolHooks<T>;
  /** Each resource is registered here while open (core's RESOURCE_REGISTRY). */
  readonly resourceRegistry?: ResourceRegistry;
  /** Resource type reported to the registry. Default `${kind}-connection`. */
  readonly resourceType?: string;
}

export interface AcquireOptions {
  readonly signal?: AbortSignal;
  /** Overrides `acquireTimeoutMs` for this call. */
  readonly timeoutMs?: number;
}

/** Resolved options with every default filled in. */
/** The create backoff never pauses longer than this by default, however long the acquire timeout. */
export const CREATE_RETRY_CAP_MS = 2_000;

export type ResolvedPoolOptions = Required<
  Omit<ResourcePoolOptions<unknown>, 'factory' | 'scheduler' | 'logger' | 'hooks' | 'resourceRegistry'>
>;

export const POOL_DEFAULTS = {
  kind: 'generic',
  min: 0,
  max: 10,
  acquireTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  idleTimeoutMs: 600_000,
  maxLifetimeMs: 1_800_000,
  maxLifetimeJitter: 0.025,
  keepaliveMs: 0,
  validateAfterIdleMs: 500,
  validationTimeoutMs: 5_000,
  leakDetectionMs: 0,
  leakDetectionStacks: true,
  leakStackDepth: 20,
  createRetryInitialMs: 100,
  maxWaiters: Number.POSITIVE_INFINITY,
  housekeepingIntervalMs: 1_000,
  shutdownTimeoutMs: 10_000,
} as const;

function check(name: string, option: string, value: number, ok: boolean, allowed: string): void {
  if (!ok) throw new RangeError(`ResourcePool "${name}": ${option} = ${value}: must be ${allowed}`);
}

export function resolvePoolOptions<T>(options: ResourcePoolOptions<T>): ResolvedPoolOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const merged = {
    ...POOL_DEFAULTS,
    resourceType: `${options.kind ?? POOL_DEFAULTS.kind}-connection`,
    ...defined,
  } as Omit<ResolvedPoolOptions, 'createRetryMaxMs'> & { createRetryMaxMs?: number };
  const o: ResolvedPoolOptions = {
    ...merged,
    createRetryMaxMs:
      merged.createRetryMaxMs ??
      Math.max(Math.min(CREATE_RETRY_CAP_MS, merged.acquireTimeoutMs), merged.createRetryInitialMs),
  };
  const nonNegative = (key: keyof ResolvedPoolOptions) =>
    check(o.name, key, o[key] as number, Number.isFinite(o[key] as number) && (o[key] as number) >= 0, '>= 0');
  if (!o.name) throw new RangeError('ResourcePool: name must not be empty');
  check(o.name, 'max', o.max, Number.isInteger(o.max) && o.max >= 1, 'an integer >= 1');
  check(
    o.name,
    'min',
    o.min,
    Number.isInteger(o.min) && o.min >= 0 && o.min <= o.max,
    `an integer from 0 to max (${o.max})`,
  );
  for (const key of [
    'acquireTimeoutMs',
    'idleTimeoutMs',
    'maxLifetimeMs',
    'keepaliveMs',
    'validateAfterIdleMs',
    'leakDetectionMs',
    'createRetryInitialMs',
    'createRetryMaxMs',
    'shutdownTimeoutMs',
  ] as const)
    nonNegative(key);
  for (const key of ['connectTimeoutMs', 'validationTimeoutMs', 'housekeepingIntervalMs', 'leakStackDepth'] as const) {
    check(o.name, key, o[key], Number.isFinite(o[key]) && o[key] >= 1, '>= 1');
  }
  check(
    o.name,
    'maxLifetimeJitter',
    o.maxLifetimeJitter,
    o.maxLifetimeJitter >= 0 && o.maxLifetimeJitter < 1,
    'from 0 up to (not including) 1',
  );
  check(o.name, 'maxWaiters', o.maxWaiters, o.maxWaiters >= 0, '>= 0');
  return o;
}

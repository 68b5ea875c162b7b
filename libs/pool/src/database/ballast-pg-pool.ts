import { EventEmitter } from 'node:events';

import pg from 'pg';

import { ResourcePool } from '../resource-pool/resource-pool.js';
import type { Lease } from '../resource-pool/pool-entry.js';
import type { PoolLogger, ResourcePoolOptions } from '../resource-pool/resource-pool.options.js';
import { pgClientFactory, type PgClientClass } from './pg-client.factory.js';

/** pg's Pool config, plus the settings pg-pool does not have. */
export interface BallastPgPoolConfig extends pg.PoolConfig {
  /** Name in metrics, logs and errors. Default `pg`. */
  readonly poolName?: string;
  /**
   * How long `connect()` waits for a free client; separate from `connectionTimeoutMillis` (opening
   * one). Unset, `connectionTimeoutMillis` bounds the wait too, as in pg.Pool.
   */
  readonly acquireTimeoutMillis?: number;
  /** A client held longer than this is logged with the stack of whoever took it; 0 off. */
  readonly leakDetectionMillis?: number;
}

/** Pool settings beyond pg's, in ResourcePool terms. */
export type PgResourcePoolSettings = Partial<Omit<ResourcePoolOptions<pg.Client>, 'factory' | 'name' | 'hooks'>>;

/**
 * What the Nest module (or an app) fixes for every pool a driver creates: TypeORM builds the pool
 * itself with `new Pool(connectionOptions)`, so settings and bookkeeping travel through here.
 */
export interface PgPoolBinding {
  readonly name: string;
  /** Wins over what the pg config passed to the constructor says. */
  readonly pool?: PgResourcePoolSettings;
  /** Merged over the client config, e.g. `{ statement_timeout: 10_000 }`. */
  readonly client?: pg.ClientConfig;
  readonly logger?: PoolLogger;
  /** Called with every pool created through the binding, and when it ends. */
  opened?(pool: BallastPgPool): void;
  ended?(pool: BallastPgPool): void;
}

type QueryCallback = (error: Error | undefined, result?: pg.QueryResult) => void;

const POOL_ONLY_KEYS = [
  'max',
  'min',
  'idleTimeoutMillis',
  'log',
  'Promise',
  'allowExitOnIdle',
  'maxUses',
  'maxLifetimeSeconds',
  'Client',
  'onConnect',
  'verify',
  'poolName',
  'acquireTimeoutMillis',
  'leakDetectionMillis',
] as const;

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}

/**
 * A drop-in `pg.Pool` on {@link ResourcePool}: `connect()` (promise or callback), `query()`, `end()`,
 * the pg-pool events and counters. Differences that matter: an acquire timeout separate from the
 * connect timeout, max lifetime with jitter, validation only after idling, leak detection, and an
 * idle client's error is logged and counted but never fatal, even with no `error` listener.
 *
 * TypeORM: `driver: { ...pg, Pool: BallastPgPool.configured({ name: 'main' }) }`.
 */
export class BallastPgPool extends EventEmitter {
  readonly options: BallastPgPoolConfig;
  readonly resourcePool: ResourcePool<pg.Client>;
  ending = false;
  ended = false;
  private ended$: Promise<void> | undefined;

  constructor(
    config: BallastPgPoolConfig = {},
    private readonly binding?: PgPoolBinding,
  ) {
    super();
    this.options = config;
    const clientConfig: Record<string, unknown> = { ...config, ...binding?.client };
    for (const key of POOL_ONLY_KEYS) delete clientConfig[key];
    const fromConfig = definedOnly({
      max: config.max,
      min: config.min,
      idleTimeoutMs: config.idleTimeoutMillis ?? undefined,
      connectTimeoutMs: config.connectionTimeoutMillis || undefined,
      maxLifetimeMs: config.maxLifetimeSeconds ? config.maxLifetimeSeconds * 1_000 : undefined,
      // pg.Pool's connectionTimeoutMillis bounds the whole wait for a client; keep that for users
      // who only set it (a drop-in must not silently stop bounding the wait).
      acquireTimeoutMs: config.acquireTimeoutMillis ?? (config.connectionTimeoutMillis || undefined),
      leakDetectionMs: config.leakDetectionMillis,
    });
    const settings: PgResourcePoolSettings = { ...fromConfig, ...definedOnly(binding?.pool ?? {}) };
    const connectTimeoutMs = settings.connectTimeoutMs ?? 10_000;
    clientConfig.connectionTimeoutMillis = connectTimeoutMs;
    this.resourcePool = new ResourcePool<pg.Client>({
      kind: 'database',
      ...settings,
      logger: settings.logger ?? binding?.logger,
      name: binding?.name ?? config.poolName ?? 'pg',
      factory: pgClientFactory({
        config: clientConfig as pg.ClientConfig,
        Client: config.Client as PgClientClass | undefined,
        endTimeoutMs: connectTimeoutMs,
      }),
      hooks: {
        created: (client) => this.emit('connect', client),
        acquired: (client) => {
          if (this.listenerCount('acquire') > 0) this.emit('acquire', client);
        },
        released: (client) => {
          if (this.listenerCount('release') > 0) this.emit('release', undefined, client);
        },
        destroyed: (client) => this.emit('remove', client),
        error: (error, kind, client) => {
          // pg-pool emits 'error' for idle clients and crashes an app without a listener; we only tell listeners.
          if (kind === 'broken' && this.listenerCount('error') > 0) this.emit('error', error, client);
        },
      },
    });
    binding?.opened?.(this);
  }

  /** A subclass whose instances all use `binding`: hand it to TypeORM as `driver.Pool`. */
  static configured(binding: PgPoolBinding): typeof BallastPgPool {
    let count = 0;
    return class BoundBallastPgPool extends BallastPgPool {
      constructor(config?: BallastPgPoolConfig) {
        // Replication makes one pool per replica: number them so names stay unique.
        count++;
        super(config, count === 1 ? binding : { ...binding, name: `${binding.name}#${count}` });
      }
    };
  }

  get poolName(): string {
    return this.resourcePool.name;
  }

  get totalCount(): number {
    return this.resourcePool.size + this.resourcePool.creatingCount;
  }

  get idleCount(): number {
    return this.resourcePool.idleCount;
  }

  get waitingCount(): number {
    return this.resourcePool.pendingCount;
  }

  get expiredCount(): number {
    return 0;
  }

  connect(): Promise<pg.PoolClient>;
  connect(
    callback: (error: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void,
  ): void;
  connect(
    callback?: (error: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void,
  ): Promise<pg.PoolClient> | void {
    const checkedOut = this.resourcePool.acquire().then(checkout);
    if (callback === undefined) return checkedOut;
    checkedOut.then(
      (client) => callback(undefined, client, client.release as (release?: unknown) => void),
      (error: Error) => callback(error, undefined, noop),
    );
  }

  query(text: string | pg.QueryConfig, values?: unknown[]): Promise<pg.QueryResult>;
  query(text: string | pg.QueryConfig, callback: QueryCallback): void;
  query(text: string | pg.QueryConfig, values: unknown[], callback: QueryCallback): void;
  query(
    text: string | pg.QueryConfig,
    valuesOrCallback?: unknown[] | QueryCallback,
    callback?: QueryCallback,
  ): Promise<pg.QueryResult> | void {
    if (typeof (text as { submit?: unknown }).submit === 'function') {
      throw new TypeError('pool.query() does not take a submittable (a stream): use pool.connect() and client.query()');
    }
    const cb = typeof valuesOrCallback === 'function' ? valuesOrCallback : callback;
    const values = typeof valuesOrCallback === 'function' ? undefined : valuesOrCallback;
    const result = this.runQuery(text, values);
    if (cb === undefined) return result;
    result.then(
      (rows) => cb(undefined, rows),
      (error: Error) => cb(error),
    );
  }

  private async runQuery(text: string | pg.QueryConfig, values: unknown[] | undefined): Promise<pg.QueryResult> {
    const lease: Lease<pg.Client> = await this.resourcePool.acquire();
    try {
      return await lease.resource.query(text as string, values);
    } catch (error) {
      // A server-side error leaves the connection usable; anything else (a cut socket, a client timeout) may not.
      if (!(error instanceof pg.DatabaseError)) lease.destroy(error);
      throw error;
    } finally {
      lease.release();
    }
  }

  /** Stops lending and waits for clients to come back, without closing the pool yet. */
  drain(timeoutMs?: number) {
    return this.resourcePool.drain(timeoutMs);
  }

  end(): Promise<void>;
  end(callback: (error?: Error) => void): void;
  end(callback?: (error?: Error) => void): Promise<void> | void {
    this.ending = true;
    this.ended$ ??= this.resourcePool.close().then(() => {
      this.ended = true;
      this.binding?.ended?.(this);
    });
    if (callback === undefined) return this.ended$;
    this.ended$.then(() => callback(), callback);
  }
}

function noop(): void {}

const DOUBLE_RELEASE = 'Release called on client which has already been released to the pool.';

/** Gives the client pg-pool's `release(err?)`: an error (or `true`) closes it instead of returning it. */
function checkout(lease: Lease<pg.Client>): pg.PoolClient {
  const client = lease.resource as pg.PoolClient;
  let released = false;
  client.release = (error?: Error | boolean) => {
    if (released) throw new Error(DOUBLE_RELEASE);
    released = true;
    lease.release(error === undefined || error === false ? undefined : error);
  };
  return client;
}

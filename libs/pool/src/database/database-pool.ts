import { redactString, type HealthSnapshot, type ResourceRegistry } from '@ballast/core';
import type pg from 'pg';
import { DataSource, type DataSourceOptions, type EntityManager, type QueryRunner } from 'typeorm';

import { readPostgresLimit, type ServerConnectionLimit } from '../fleet/server-limits.js';
import { assessPool, pingFailed, type PoolHealthThresholds } from '../pool.health.js';
import type { ResourcePool } from '../resource-pool/resource-pool.js';
import type { PoolLogger, PoolScheduler } from '../resource-pool/resource-pool.options.js';
import { BallastPgPool, type PgPoolBinding, type PgResourcePoolSettings } from './ballast-pg-pool.js';
import { ballastPgDriver, type PgDriverModule } from './pg-driver.js';
import { withQueryBudget } from './query-budget.js';
import { ReservedConnection } from './reserved-connection.js';

export interface DatabasePoolSettings {
  readonly name: string;
  readonly url?: string;
  readonly connection?: pg.ClientConfig;
  readonly use: 'typeorm' | 'pg' | 'external';
  readonly typeorm?: Record<string, unknown>;
  readonly applicationName: string;
  readonly pool: PgResourcePoolSettings & { min: number; max: number; connectTimeoutMs: number };
  /** Server-side statement_timeout of every pooled connection; 0 none. */
  readonly queryTimeoutMs: number;
  readonly analyticsQueryTimeoutMs: number;
  readonly logger: PoolLogger;
  readonly scheduler?: PoolScheduler;
  readonly resourceRegistry?: ResourceRegistry;
  /** Told about every pg pool opened or ended for this database (the primary and any replicas). */
  readonly poolOpened?: (pool: BallastPgPool) => void;
  readonly poolEnded?: (pool: BallastPgPool) => void;
}

/**
 * One named database: its pg pool (ours, whoever creates it), the TypeORM DataSource when Ballast
 * owns it, a reserved connection for health checks, and the query-budget helpers.
 */
export class DatabasePool {
  readonly name: string;
  /** The DataSource Ballast created (`use: 'typeorm'`). */
  dataSource: DataSource | undefined;
  /** Live pg pools of this database: the primary first, then replicas. */
  readonly pgPools: BallastPgPool[] = [];
  /** Postgres `max_connections` and its reserved slots, read at start-up. */
  serverConnections: ServerConnectionLimit | undefined;
  private readonly reserved: ReservedConnection;
  private driver: PgDriverModule | undefined;

  constructor(private readonly settings: DatabasePoolSettings) {
    this.name = settings.name;
    this.reserved = new ReservedConnection(
      {
        ...this.clientConfig(),
        application_name: `${settings.applicationName}:health`.slice(0, 63),
        connectionTimeoutMillis: settings.pool.connectTimeoutMs,
      },
      `pool:database:${settings.name}:health`,
      settings.resourceRegistry,
    );
  }

  /** The URL with its password redacted, for messages. */
  get target(): string {
    if (this.settings.url) return redactString(this.settings.url);
    const c = this.settings.connection ?? {};
    return `postgres://${c.user ?? ''}@${c.host ?? 'localhost'}:${c.port ?? 5432}/${c.database ?? ''}`;
  }

  /** Connections an application role may open: `max_connections` minus reserved, read at start-up. */
  get serverLimit(): number | undefined {
    return this.serverConnections?.usable;
  }

  /** `postgres:host:port`: pools of every instance on this key share one `max_connections`. */
  get serverKey(): string {
    const c = this.settings.connection ?? {};
    let host = c.host;
    let port = c.port === undefined ? undefined : Number(c.port);
    if (this.settings.url) {
      try {
        const url = new URL(this.settings.url);
        host ??= decodeURIComponent(url.hostname) || url.searchParams.get('host') || undefined;
        port ??= url.port ? Number(url.port) : undefined;
      } catch {
        // A libpq keyword string rather than a URL: fall back to the defaults below.
      }
    }
    return `postgres:${host ?? 'localhost'}:${port ?? 5432}`;
  }

  /** The primary pg pool. Throws until one exists (with `use: 'external'`, until the app's DataSource opens it). */
  get pgPool(): BallastPgPool {
    const pool = this.pgPools[0];
    if (!pool) throw new Error(`Database "${this.name}" has no pool yet (use: ${this.settings.use})`);
    return pool;
  }

  get resourcePool(): ResourcePool<pg.Client> {
    return this.pgPool.resourcePool;
  }

  /** pg with our Pool, for TypeORM's `driver` option (e.g. in TypeOrmModule.forRootAsync). */
  pgDriver(): PgDriverModule {
    this.driver ??= ballastPgDriver(this.binding());
    return this.driver;
  }

  /** The DataSource options Ballast uses; an app building its own DataSource can start from them. */
  dataSourceOptions(): DataSourceOptions {
    const c = this.settings.connection ?? {};
    return {
      type: 'postgres',
      ...(this.settings.url ? { url: this.settings.url } : {}),
      ...(c.host ? { host: c.host } : {}),
      ...(c.port ? { port: c.port } : {}),
      ...(c.user ? { username: c.user } : {}),
      ...(typeof c.password === 'string' ? { password: c.password } : {}),
      ...(c.database ? { database: c.database } : {}),
      ...(c.ssl !== undefined ? { ssl: c.ssl } : {}),
      applicationName: this.settings.applicationName,
      ...this.settings.typeorm,
      poolSize: this.settings.pool.max,
      connectTimeoutMS: this.settings.pool.connectTimeoutMs,
      driver: this.pgDriver(),
    } as DataSourceOptions;
  }

  private binding(): PgPoolBinding {
    return {
      name: this.name,
      pool: {
        ...this.settings.pool,
        scheduler: this.settings.scheduler,
        resourceRegistry: this.settings.resourceRegistry,
        resourceType: 'db-connection',
      },
      client: this.settings.queryTimeoutMs > 0 ? { statement_timeout: this.settings.queryTimeoutMs } : {},
      logger: this.settings.logger,
      opened: (pool) => {
        this.pgPools.push(pool);
        this.settings.poolOpened?.(pool);
      },
      ended: (pool) => {
        const index = this.pgPools.indexOf(pool);
        if (index >= 0) this.pgPools.splice(index, 1);
        this.settings.poolEnded?.(pool);
      },
    };
  }

  private clientConfig(): pg.ClientConfig {
    return {
      ...(this.settings.url ? { connectionString: this.settings.url } : {}),
      ...this.settings.connection,
      application_name: this.settings.applicationName,
    };
  }

  /**
   * Proves the database answers (on the reserved connection), reads the connection limit, then opens
   * what `use` asks for: a TypeORM DataSource, a bare pg pool, or nothing (the app opens it).
   */
  async open(): Promise<void> {
    await this.reserved.query('SELECT 1');
    this.serverConnections = await readPostgresLimit((sql) => this.reserved.query(sql));
    if (this.settings.use === 'typeorm') {
      const dataSource = new DataSource(this.dataSourceOptions());
      try {
        await dataSource.initialize();
      } catch (error) {
        // TypeORM leaves the pool it made open when initialize() fails: close ours.
        await Promise.all(this.pgPools.map((pool) => pool.end()));
        throw error;
      }
      this.dataSource = dataSource;
    } else if (this.settings.use === 'pg') {
      const Pool = this.pgDriver().Pool;
      const pool = new Pool({ ...this.clientConfig(), max: this.settings.pool.max });
      try {
        await pool.query('SELECT 1');
      } catch (error) {
        await pool.end();
        throw error;
      }
    }
  }

  /** The DataSource Ballast created; throws for `use: 'pg' | 'external'`. */
  getDataSource(): DataSource {
    if (!this.dataSource) {
      throw new Error(`Database "${this.name}" has no DataSource of Ballast's (use: ${this.settings.use})`);
    }
    return this.dataSource;
  }

  /** Runs `work` with `statement_timeout = budgetMs` on one connection; past it, QueryTimeoutError. */
  withBudget<R>(budgetMs: number, work: (manager: EntityManager, runner: QueryRunner) => Promise<R>): Promise<R> {
    return withQueryBudget(this.getDataSource(), budgetMs, work, { poolName: this.name });
  }

  /** {@link withBudget} with the analytics budget (ANALYTICS_QUERY_TIMEOUT_MS). */
  analytics<R>(work: (manager: EntityManager, runner: QueryRunner) => Promise<R>): Promise<R> {
    return this.withBudget(this.settings.analyticsQueryTimeoutMs, work);
  }

  get analyticsBudgetMs(): number {
    return this.settings.analyticsQueryTimeoutMs;
  }

  /** Ping on the reserved connection (a failure is `unhealthy`), then the primary pool's load. */
  async probe(signal: AbortSignal, thresholds: PoolHealthThresholds): Promise<HealthSnapshot> {
    const started = performance.now();
    try {
      await this.reserved.query('SELECT 1', signal);
    } catch (error) {
      return pingFailed(`database "${this.name}" (${this.target})`, error);
    }
    const pingMs = Math.round((performance.now() - started) * 100) / 100;
    const pool = this.pgPools[0];
    if (!pool) return { status: 'healthy', details: { pingMs, pool: 'not opened yet' } };
    return assessPool(pool.resourcePool.stats(), thresholds, { pingMs });
  }

  /** Stops lending on every pool and waits for borrowed connections, up to `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    await Promise.all(this.pgPools.map((pool) => pool.drain(timeoutMs)));
  }

  /** Closes the pools (already drained: leases still out are revoked), the DataSource and the reserved connection. */
  async close(): Promise<void> {
    const connectTimeoutMs = this.settings.pool.connectTimeoutMs;
    // Close ours first with no further wait: TypeORM's destroy() would otherwise wait the drain time again.
    await Promise.all(this.pgPools.map((pool) => pool.resourcePool.close(0)));
    if (this.dataSource?.isInitialized) await this.dataSource.destroy();
    // Pools the app opened (use: 'external') or a bare pg pool: ours to close too, end() is idempotent.
    await Promise.all([...this.pgPools].map((pool) => pool.end()));
    await this.reserved.close(connectTimeoutMs);
  }
}

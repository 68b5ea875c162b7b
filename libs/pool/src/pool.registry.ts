import {
  BallastError,
  RedactingLogger,
  redactString,
  unhealthy,
  type HealthContributorRegistry,
  type HealthProbe,
  type MetricsRegistry,
  type ReporterRegistry,
  type ResourceRegistry,
  type IntervalRegistry,
  type ServingCapacityRegistry,
} from '@ballast/core';
import type { BeforeApplicationShutdown, OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';

import type { BallastPgPool } from './database/ballast-pg-pool.js';
import { DatabasePool } from './database/database-pool.js';
import type { PgDriverModule } from './database/pg-driver.js';
import type { ConnectionBudget } from './fleet/connection-budget.js';
import { PoolFleet } from './fleet/pool-fleet.js';
import { HttpConnectionDiagnostics } from './http/http-diagnostics.js';
import { HttpPool } from './http/http-pool.js';
import { assessPool, type PoolHealthThresholds } from './pool.health.js';
import { PoolMetrics } from './pool.metrics.js';
import type { ResolvedPoolModuleOptions } from './pool.options.js';
import { PoolReporter, type PoolReporterOptions } from './pool.reporter.js';
import { databaseSettings, httpSettings, redisSettings, schedulerFrom, type SharedDeps } from './pool.settings.js';
import { RedisConnection } from './redis/redis-connection.js';
import { jitteredBackoff } from './resource-pool/backoff.js';
import type { PoolStats, PoolStatsSource } from './resource-pool/pool-stats.js';
import type { ResourcePool } from './resource-pool/resource-pool.js';
import type { PoolScheduler } from './resource-pool/resource-pool.options.js';

export interface PoolRegistryDeps {
  readonly options: ResolvedPoolModuleOptions;
  readonly metrics?: MetricsRegistry;
  readonly health?: HealthContributorRegistry;
  /** Where each database pool declares what it takes at once, so admission control never sheds below it. */
  readonly capacity?: ServingCapacityRegistry;
  readonly reporters?: ReporterRegistry;
  readonly resources?: ResourceRegistry;
  readonly scheduler?: IntervalRegistry;
}

const DEFAULT_NAME = 'default';

/**
 * Every pool the module opened, by kind and name, and their lifecycle: start-up pings (fail fast or
 * retry with backoff), metrics, health checks and reporters while running, and on shutdown:
 * readiness goes down, new acquires are refused, borrowed connections are awaited up to
 * `shutdown.drainTimeoutMs` (their holders logged), then everything is closed.
 */
export class PoolRegistry implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new RedactingLogger('PoolModule');
  private readonly databases = new Map<string, DatabasePool>();
  private readonly redisConnections = new Map<string, RedisConnection>();
  private readonly httpPools = new Map<string, HttpPool>();
  private readonly generic = new Map<string, ResourcePool<unknown>>();
  private readonly reporters = new Map<string, PoolReporter>();
  private readonly unwatch = new Map<PoolStatsSource, () => void>();
  private readonly cleanups: (() => void)[] = [];
  private readonly metrics: PoolMetrics | undefined;
  private readonly diagnostics = new HttpConnectionDiagnostics();
  private readonly scheduler: PoolScheduler | undefined;
  private readonly thresholds: PoolHealthThresholds;
  /** Each pool's share of its server's connection limit across the fleet, and Redis discovery. */
  readonly fleet: PoolFleet;
  private shuttingDown = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly deps: PoolRegistryDeps) {
    this.scheduler = schedulerFrom(deps.scheduler);
    this.metrics = deps.metrics ? PoolMetrics.for(deps.metrics) : undefined;
    this.thresholds = deps.options.health;
    this.fleet = new PoolFleet(deps.options.fleet, this.logger, this.scheduler);
  }

  /** Opens and pings every configured pool; on any failure closes what it opened and throws. */
  async open(): Promise<void> {
    const { options } = this.deps;
    const shared: SharedDeps = {
      logger: this.logger,
      scheduler: this.scheduler,
      resourceRegistry: this.deps.resources,
    };
    try {
      for (const name of Object.keys(options.databases)) {
        const settings = databaseSettings(name, options, shared);
        const database: DatabasePool = new DatabasePool({
          ...settings,
          poolOpened: (pool) => this.watchDatabasePool(database, pool, budget),
          poolEnded: (pool) => this.unwatch.get(pool.resourcePool)?.(),
        });
        // One connection of each instance's stays outside the pool: the reserved health connection.
        const budget = this.fleet.budget(
          { label: `database:${name}`, maxSetting: `databases.${name}.maxSize`, max: settings.pool.max },
          database.serverKey,
          1,
          () => database.serverConnections,
        );
        this.databases.set(name, database);
        const unregisterCapacity = this.deps.capacity?.register({
          name: `database:${name}`,
          concurrent: settings.pool.max + (settings.pool.maxWaiters ?? 0),
        });
        if (unregisterCapacity) this.cleanups.push(unregisterCapacity);
        this.contribute(
          `database:${name}`,
          (signal) => database.probe(signal, this.thresholds),
          options.databases[name]!.critical ?? true,
        );
        await this.startup(`database pool "${name}" (${database.target})`, () => database.open());
      }
      for (const name of Object.keys(options.redis)) {
        const redis = new RedisConnection(redisSettings(name, options, shared));
        this.redisConnections.set(name, redis);
        // The shared (multiplexed) client is one more connection per instance, outside the blocking pool.
        const budget = this.fleet.budget(
          { label: `redis:${name}`, maxSetting: `redis.${name}.maxSize`, max: redis.blocking.stats().max },
          redis.serverKey,
          1,
          () => redis.serverConnections,
        );
        this.watch(redis.blocking, `redis:${name}`, {
          maxSetting: `redis.${name}.maxSize`,
          minSetting: `redis.${name}.minSize`,
          budget,
        });
        if (this.metrics) this.cleanups.push(this.metrics.attachRedis(redis));
        this.contribute(
          `redis:${name}`,
          (signal) => redis.probe(signal, this.thresholds),
          options.redis[name]!.critical ?? false,
        );
        const target = redactString(options.redis[name]!.url ?? 'redis://localhost:6379');
        await this.startup(`Redis client "${name}" (${target})`, () => redis.open());
        if (redis.limitRefused !== undefined) {
          this.logger.log(
            `Redis "${name}": maxclients unknown (${redis.limitRefused}); its connections are not checked against it`,
          );
        }
      }
      for (const name of Object.keys(options.http)) {
        const http = new HttpPool(httpSettings(name, options, this.diagnostics, this.deps.resources));
        this.httpPools.set(name, http);
        this.watch(http, `http:${name}`, { maxSetting: `http.${name}.maxSize` });
        this.contribute(
          `http:${name}`,
          (signal) => http.probe(signal, this.thresholds),
          options.http[name]!.critical ?? false,
        );
        if (options.http[name]!.healthPath) {
          await this.startup(`HTTP pool "${name}" (${http.originKey})`, async () => {
            const snapshot = await http.probe(AbortSignal.timeout(http.stats().acquireTimeoutMs), this.thresholds);
            if (snapshot.status === 'unhealthy') throw new Error(snapshot.reason);
          });
        }
      }
      await this.fleet.start(new Map([...this.redisConnections].map(([name, redis]) => [name, redis.client])));
      this.startSampling();
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  // ---------------------------------------------------------------- lookups

  database(name = DEFAULT_NAME): DatabasePool {
    return found(this.databases, name, 'database', 'databases');
  }

  /** The TypeORM DataSource Ballast created for `name` (`use: 'typeorm'`, the default). */
  dataSource(name = DEFAULT_NAME): DataSource {
    return this.database(name).getDataSource();
  }

  /** pg with our Pool for TypeORM's `driver` option, when the app builds its own DataSource. */
  pgDriver(name = DEFAULT_NAME): PgDriverModule {
    return this.database(name).pgDriver();
  }

  /** The shared ioredis client of `name`. */
  redis(name = DEFAULT_NAME): Redis {
    return this.redisConnection(name).client;
  }

  /** The Redis client with its pool of dedicated connections for blocking commands. */
  redisConnection(name = DEFAULT_NAME): RedisConnection {
    return found(this.redisConnections, name, 'Redis client', 'redis');
  }

  http(name = DEFAULT_NAME): HttpPool {
    return found(this.httpPools, name, 'HTTP pool', 'http');
  }

  /** Every pool's numbers, for dashboards. */
  stats(): PoolStats[] {
    return [...this.unwatch.keys()].map((source) => source.stats());
  }

  /**
   * Hands a ResourcePool of the app's own to the module: metrics, health check, reporter, and
   * drain + close on shutdown. Returns the function that takes it back (without closing it).
   * `critical` (true by default) says whether readiness fails while the pool is unhealthy.
   */
  register<T>(pool: ResourcePool<T>, { critical = true }: { critical?: boolean } = {}): () => void {
    if (this.generic.has(pool.name)) throw new Error(`A pool named "${pool.name}" is already registered`);
    const generic = pool as unknown as ResourcePool<unknown>;
    this.generic.set(pool.name, generic);
    const unwatch = this.watch(pool, `${pool.kind}:${pool.name}`, {
      maxSetting: `${pool.name}.max`,
      minSetting: `${pool.name}.min`,
    });
    const unhealth = this.deps.health?.register({
      name: `pool:${pool.name}`,
      probe: () => (this.shuttingDown ? unhealthy('shutting down') : assessPool(pool.stats(), this.thresholds)),
      timeoutMs: this.deps.options.health.timeoutMs,
      critical,
    });
    return () => {
      unwatch();
      unhealth?.();
      this.generic.delete(pool.name);
    };
  }

  // ---------------------------------------------------------------- wiring

  private watchDatabasePool(database: DatabasePool, pool: BallastPgPool, budget: ConnectionBudget): void {
    const suffix = pool.poolName.slice(database.name.length);
    this.watch(pool.resourcePool, `database:${database.name}${suffix}`, {
      maxSetting: `databases.${database.name}.maxSize`,
      minSetting: `databases.${database.name}.minSize`,
      // A suffixed pool is a read replica: another server, whose limit was not read.
      ...(suffix === '' ? { budget } : {}),
    });
  }

  /** Metrics and a reporter for one pool; the returned function undoes both. */
  private watch(
    source: PoolStatsSource,
    label: string,
    report: Partial<PoolReporterOptions> & { maxSetting: string },
  ): () => void {
    const detachMetrics = this.metrics?.attachPool(source, report.budget);
    const reporter = new PoolReporter(label, source, {
      windowMs: this.deps.options.report.windowMs,
      thresholds: this.thresholds,
      ...report,
    });
    reporter.sample();
    this.reporters.set(label, reporter);
    const unregister = this.deps.reporters?.register(reporter);
    const undo = () => {
      if (!this.unwatch.delete(source)) return;
      detachMetrics?.();
      unregister?.();
      this.reporters.delete(label);
    };
    this.unwatch.set(source, undo);
    return undo;
  }

  private contribute(name: string, probe: HealthProbe, critical: boolean): void {
    const unregister = this.deps.health?.register({
      name,
      probe: (signal) => (this.shuttingDown ? unhealthy('shutting down') : probe(signal)),
      timeoutMs: this.deps.options.health.timeoutMs,
      critical,
    });
    if (unregister) this.cleanups.push(unregister);
  }

  private startSampling(): void {
    const task = () => {
      for (const reporter of this.reporters.values()) reporter.sample();
    };
    const interval = this.deps.options.report.sampleIntervalMs;
    if (this.scheduler) {
      this.cleanups.push(this.scheduler.every('ballast-pool-report-sampler', interval, task));
    } else {
      const timer = setInterval(task, interval);
      timer.unref();
      this.cleanups.push(() => clearInterval(timer));
    }
  }

  /** Runs a start-up ping, retrying with jittered backoff when `startup.retries` allows. */
  private async startup(what: string, ping: () => Promise<void>): Promise<void> {
    const { retries, retryDelayMs } = this.deps.options.startup;
    for (let attempt = 1; ; attempt++) {
      try {
        await ping();
        return;
      } catch (error) {
        const message = redactString((error as Error)?.message ?? String(error));
        if (attempt > retries) {
          throw new BallastError(
            `PoolModule: ${what} did not answer at start-up: ${message}`,
            { target: what },
            { cause: error },
          );
        }
        const delay = Math.round(jitteredBackoff(attempt, retryDelayMs, 30_000));
        this.logger.warn(
          `${what} did not answer (attempt ${attempt} of ${retries + 1}): ${message}; retrying in ${delay} ms`,
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  // ---------------------------------------------------------------- shutdown

  /** Readiness goes down first, while the pools keep serving in-flight work. */
  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** Drains every pool (refusing new acquires, awaiting leases), then closes everything. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    this.shuttingDown = true;
    // Withdraw from discovery first, while Redis is still open: the others count one less at once.
    await this.fleet.close().catch(() => undefined);
    const drainMs = this.deps.options.shutdown.drainTimeoutMs;
    const drained = await Promise.allSettled([
      ...[...this.databases.values()].map((db) => db.drain(drainMs)),
      ...[...this.redisConnections.values()].map((redis) => redis.blocking.drain(drainMs)),
      ...[...this.generic.values()].map((pool) => pool.drain(drainMs)),
    ]);
    const closed = await Promise.allSettled([
      ...[...this.databases.values()].map((db) => db.close()),
      ...[...this.redisConnections.values()].map((redis) => redis.close(drainMs)),
      ...[...this.httpPools.values()].map((http) => http.close(drainMs)),
      ...[...this.generic.values()].map((pool) => pool.close(0)),
    ]);
    for (const outcome of [...drained, ...closed]) {
      if (outcome.status === 'rejected')
        this.logger.warn(`Closing a pool failed: ${(outcome.reason as Error)?.message ?? outcome.reason}`);
    }
    for (const undo of [...this.unwatch.values()]) undo();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }
}

function found<V>(map: ReadonlyMap<string, V>, name: string, what: string, option: string): V {
  const value = map.get(name);
  if (value === undefined) {
    const known = [...map.keys()];
    throw new Error(
      `No ${what} named "${name}"; configured: ${known.length ? known.join(', ') : `none (set PoolModule options.${option})`}`,
    );
  }
  return value;
}

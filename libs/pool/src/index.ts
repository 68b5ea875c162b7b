// Module
export { PoolModule } from './pool.module.js';
export type { PoolModuleExtras } from './pool.module-definition.js';
export { POOL_MODULE_OPTIONS_RESOLVED, dataSourceToken } from './pool.constants.js';
export { InjectPoolDataSource } from './pool.decorators.js';
export {
  poolOptions,
  type DatabasePoolOptions,
  type HttpPoolOptions,
  type PoolModuleOptions,
  type RedisClientOptions,
  type ResolvedPoolModuleOptions,
} from './pool.options.js';
export { PoolRegistry } from './pool.registry.js';
export { PoolMetrics, type RedisClientStats, type RedisClientStatsSource } from './pool.metrics.js';
export { assessPool, type PoolHealthThresholds } from './pool.health.js';
export { maxPoolSize, type ConnectionBudgetView } from './fleet/connection-budget.js';
export { PoolFleet } from './fleet/pool-fleet.js';
export { readPostgresLimit, readRedisMaxClients, type ServerConnectionLimit } from './fleet/server-limits.js';
export {
  PoolReporter,
  analyseWindow,
  recommend,
  scorePool,
  type PoolReporterOptions,
  type PoolWindow,
} from './pool.reporter.js';

// Errors
export {
  PoolClosedError,
  PoolCreateError,
  PoolExhaustedError,
  PoolQueueFullError,
  PoolUnavailableError,
  QueryTimeoutError,
  type PoolErrorNumbers,
} from './errors/pool.errors.js';

// Generic pool
export { ResourcePool, type DrainResult, type PoolHolder } from './resource-pool/resource-pool.js';
export { Lease } from './resource-pool/pool-entry.js';
export type {
  AcquireOptions,
  CreateContext,
  PoolErrorKind,
  PoolFactory,
  PoolHooks,
  PoolLogger,
  PoolScheduler,
  ResourcePoolOptions,
} from './resource-pool/resource-pool.options.js';
export type { PoolStats, PoolStatsSource } from './resource-pool/pool-stats.js';
export {
  BucketHistogram,
  histogramDelta,
  histogramQuantile,
  type HistogramSnapshot,
} from './resource-pool/bucket-histogram.js';
export { jitteredBackoff } from './resource-pool/backoff.js';

// Databases
export {
  BallastPgPool,
  type BallastPgPoolConfig,
  type PgPoolBinding,
  type PgResourcePoolSettings,
} from './database/ballast-pg-pool.js';
export { ballastPgDriver, type PgDriverModule } from './database/pg-driver.js';
export { isStatementTimeout, withQueryBudget, type QueryBudgetOptions } from './database/query-budget.js';
export { destroyPgConnection, pgClientFactory, type PgClientFactoryOptions } from './database/pg-client.factory.js';
export { DatabasePool } from './database/database-pool.js';

// Redis
export { RedisConnection, closeRedis } from './redis/redis-connection.js';

// HTTP
export { HttpPool, type HttpRequestOptions } from './http/http-pool.js';

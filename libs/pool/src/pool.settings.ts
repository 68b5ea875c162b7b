import type { IntervalRegistry, ResourceRegistry } from '@ballast/core';
import type pg from 'pg';
import type { RedisOptions } from 'ioredis';

import type { DatabasePoolSettings } from './database/database-pool.js';
import type { HttpConnectionDiagnostics } from './http/http-diagnostics.js';
import type { HttpPoolSettings } from './http/http-pool.js';
import type { ResolvedPoolModuleOptions } from './pool.options.js';
import type { RedisConnectionSettings } from './redis/redis-connection.js';
import type { PoolLogger, PoolScheduler } from './resource-pool/resource-pool.options.js';

export interface SharedDeps {
  readonly logger: PoolLogger;
  readonly scheduler?: PoolScheduler;
  readonly resourceRegistry?: ResourceRegistry;
}

/** Runs pool housekeeping through @nestjs/schedule's registry, so it shows up and stops with the app. */
export function schedulerFrom(registry: IntervalRegistry | undefined): PoolScheduler | undefined {
  if (!registry) return undefined;
  let sequence = 0;
  return {
    every(name, intervalMs, task) {
      const key = `${name}#${++sequence}`;
      const timer = setInterval(task, intervalMs);
      timer.unref();
      registry.addInterval(key, timer);
      return () => {
        // ScheduleModule clears every interval before shutdown; ours may be gone already.
        if (registry.doesExist('interval', key)) registry.deleteInterval(key);
        else clearInterval(timer);
      };
    },
  };
}

/** One database's settings: its own fields over `defaults.database`. */
export function databaseSettings(
  name: string,
  options: ResolvedPoolModuleOptions,
  deps: SharedDeps,
): Omit<DatabasePoolSettings, 'poolOpened' | 'poolEnded'> {
  const own = options.databases[name]!;
  const d = options.defaults.database;
  return {
    name,
    url: own.url,
    connection: own.connection as pg.ClientConfig | undefined,
    use: own.use,
    typeorm: own.typeorm,
    applicationName: own.applicationName ?? `ballast:${name}`,
    queryTimeoutMs: own.queryTimeoutMs ?? d.queryTimeoutMs,
    analyticsQueryTimeoutMs: own.analyticsQueryTimeoutMs ?? d.analyticsQueryTimeoutMs,
    pool: {
      min: own.minSize ?? d.minSize,
      max: own.maxSize ?? d.maxSize,
      acquireTimeoutMs: own.acquireTimeoutMs ?? d.acquireTimeoutMs,
      maxWaiters: own.maxWaiters ?? d.maxWaiters,
      connectTimeoutMs: own.connectTimeoutMs ?? d.connectTimeoutMs,
      idleTimeoutMs: own.idleTimeoutMs ?? d.idleTimeoutMs,
      maxLifetimeMs: own.maxLifetimeMs ?? d.maxLifetimeMs,
      keepaliveMs: own.healthCheckIntervalMs ?? d.healthCheckIntervalMs,
      validateAfterIdleMs: own.validateAfterIdleMs ?? d.validateAfterIdleMs,
      leakDetectionMs: own.leakDetectionMs ?? d.leakDetectionMs,
      shutdownTimeoutMs: options.shutdown.drainTimeoutMs,
    },
    ...deps,
  };
}

/** One Redis client's settings: its own fields over `defaults.redis`. */
export function redisSettings(
  name: string,
  options: ResolvedPoolModuleOptions,
  deps: SharedDeps,
): RedisConnectionSettings {
  const own = options.redis[name]!;
  const d = options.defaults.redis;
  return {
    name,
    url: own.url,
    options: own.options as RedisOptions | undefined,
    connectTimeoutMs: own.connectTimeoutMs ?? d.connectTimeoutMs,
    commandTimeoutMs: own.commandTimeoutMs ?? d.commandTimeoutMs,
    reconnectInitialMs: own.reconnectInitialMs ?? d.reconnectInitialMs,
    reconnectMaxMs: own.reconnectMaxMs ?? d.reconnectMaxMs,
    enableOfflineQueue: own.enableOfflineQueue ?? d.enableOfflineQueue,
    memoryThresholdBytes: own.memoryThresholdBytes,
    blocking: {
      min: own.minSize ?? d.minSize,
      max: own.maxSize ?? d.maxSize,
      acquireTimeoutMs: own.acquireTimeoutMs ?? d.acquireTimeoutMs,
      maxWaiters: own.maxWaiters ?? d.maxWaiters,
      idleTimeoutMs: own.idleTimeoutMs ?? d.idleTimeoutMs,
      maxLifetimeMs: own.maxLifetimeMs ?? d.maxLifetimeMs,
      keepaliveMs: own.healthCheckIntervalMs ?? d.healthCheckIntervalMs,
      leakDetectionMs: own.leakDetectionMs ?? d.leakDetectionMs,
      shutdownTimeoutMs: options.shutdown.drainTimeoutMs,
    },
    ...deps,
  };
}

/** One HTTP pool's settings: its own fields over `defaults.http`. */
export function httpSettings(
  name: string,
  options: ResolvedPoolModuleOptions,
  diagnostics: HttpConnectionDiagnostics,
  resourceRegistry: ResourceRegistry | undefined,
): HttpPoolSettings {
  const own = options.http[name]!;
  const d = options.defaults.http;
  return {
    name,
    origin: own.origin,
    maxSize: own.maxSize ?? d.maxSize,
    connectTimeoutMs: own.connectTimeoutMs ?? d.connectTimeoutMs,
    idleTimeoutMs: own.idleTimeoutMs ?? d.idleTimeoutMs,
    maxLifetimeMs: own.maxLifetimeMs ?? d.maxLifetimeMs,
    headersTimeoutMs: own.headersTimeoutMs ?? d.headersTimeoutMs,
    bodyTimeoutMs: own.bodyTimeoutMs ?? d.bodyTimeoutMs,
    pipelining: own.pipelining ?? d.pipelining,
    healthPath: own.healthPath,
    healthCheckIntervalMs: own.healthCheckIntervalMs ?? d.healthCheckIntervalMs,
    diagnostics,
    resourceRegistry,
  };
}

import {
  healthy,
  degraded,
  redactString,
  type HealthSnapshot,
  type ResourceHandle,
  type ResourceRegistry,
} from '@ballast/core';
import type { Socket } from 'node:net';

import { Redis, type RedisOptions } from 'ioredis';

import { readRedisMaxClients, type ServerConnectionLimit } from '../fleet/server-limits.js';
import { assessPool, pingFailed, type PoolHealthThresholds } from '../pool.health.js';
import type { RedisClientStats, RedisClientStatsSource } from '../pool.metrics.js';
import { jitteredBackoff } from '../resource-pool/backoff.js';
import { ResourcePool } from '../resource-pool/resource-pool.js';
import type { PoolLogger, PoolScheduler } from '../resource-pool/resource-pool.options.js';

export interface RedisConnectionSettings {
  readonly name: string;
  readonly url?: string;
  /** Raw ioredis options; Ballast's settings below win. */
  readonly options?: RedisOptions;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly reconnectInitialMs: number;
  readonly reconnectMaxMs: number;
  readonly enableOfflineQueue: boolean;
  readonly memoryThresholdBytes?: number;
  /** The pool of dedicated connections for blocking commands. */
  readonly blocking: {
    readonly min: number;
    readonly max: number;
    readonly acquireTimeoutMs: number;
    readonly maxWaiters: number;
    readonly idleTimeoutMs: number;
    readonly maxLifetimeMs: number;
    readonly keepaliveMs: number;
    readonly leakDetectionMs: number;
    readonly shutdownTimeoutMs: number;
  };
  readonly logger: PoolLogger;
  readonly scheduler?: PoolScheduler;
  readonly resourceRegistry?: ResourceRegistry;
}

/**
 * ioredis' disconnect() arms a 2 s timer (its undocumented `disconnectTimeout`) that only a later
 * 'close' of the socket clears; on a socket that is already closed (Redis down) it just runs out,
 * keeping the process alive after shutdown. 50 ms is plenty to end a live socket we are leaving.
 */
const QUICK_DISCONNECT = { disconnectTimeout: 50 } as RedisOptions;

function createClient(settings: RedisConnectionSettings, overrides: RedisOptions): Redis {
  const options: RedisOptions = { ...QUICK_DISCONNECT, ...settings.options, ...overrides };
  return settings.url ? new Redis(settings.url, options) : new Redis(options);
}

/** Closes an ioredis client: QUIT when it is connected, otherwise (or if QUIT hangs) disconnect. */
export async function closeRedis(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    await Promise.race([client.quit().catch(() => undefined), gaveUp]);
    clearTimeout(timer);
  }
  // Not connected, or QUIT did not finish: stop reconnecting and drop the socket.
  if (client.status !== 'end') client.disconnect();
}

/**
 * One named Redis client through ioredis, set up to fail fast: reconnects back off with jitter up
 * to a cap, commands time out, and with the offline queue off a command issued while Redis is away
 * fails at once instead of waiting for it to return. Blocking commands (BLPOP, XREAD BLOCK) get
 * dedicated connections from a {@link ResourcePool}, so they never stall the shared client.
 */
export class RedisConnection implements RedisClientStatsSource {
  readonly client: Redis;
  /** Dedicated connections for blocking commands: `await redis.blocking.use((c) => c.blpop('q', 5))`. */
  readonly blocking: ResourcePool<Redis>;
  /** `maxclients`, read at start-up; undefined when CONFIG GET was refused (see {@link limitRefused}). */
  serverConnections: ServerConnectionLimit | undefined;
  /** Why `maxclients` could not be read, when it could not. */
  limitRefused: string | undefined;
  private reconnects = 0;
  private reconnectAttempts = 0;
  private errors = 0;
  private wasReady = false;
  private loggedOutage = false;
  private handle: ResourceHandle | undefined;
  /** The shared client's current socket and its registration; replaced on every reconnect. */
  private socket: Socket | undefined;
  private socketHandle: ResourceHandle | undefined;

  constructor(private readonly settings: RedisConnectionSettings) {
    const { reconnectInitialMs, reconnectMaxMs } = settings;
    this.client = createClient(settings, {
      lazyConnect: true,
      connectTimeout: settings.connectTimeoutMs,
      commandTimeout: settings.commandTimeoutMs,
      enableOfflineQueue: settings.enableOfflineQueue,
      maxRetriesPerRequest: settings.options?.maxRetriesPerRequest ?? 1,
      // ioredis' own strategy has no jitter: a fleet that lost Redis together would reconnect in lockstep.
      retryStrategy: (attempt) => jitteredBackoff(attempt, reconnectInitialMs, reconnectMaxMs),
    });
    this.client.on('error', (error: Error) => {
      this.errors++;
      // One warn line per outage; ioredis reports every failed reconnect, those go to debug.
      if (!this.loggedOutage) {
        this.loggedOutage = true;
        settings.logger.warn(`Redis "${settings.name}": ${redactString(error.message)} (reconnecting with backoff)`);
      }
    });
    this.client.on('reconnecting', () => this.reconnectAttempts++);
    // ioredis opens a new socket on every reconnect: file each under this client as it connects.
    this.client.on('connect', () => this.trackSocket());
    this.client.on('ready', () => {
      if (this.wasReady) {
        this.reconnects++;
        settings.logger.log(`Redis "${settings.name}": connection is back`);
      }
      this.wasReady = true;
      this.loggedOutage = false;
    });
    this.blocking = new ResourcePool<Redis>({
      name: settings.name,
      kind: 'redis',
      min: settings.blocking.min,
      max: settings.blocking.max,
      acquireTimeoutMs: settings.blocking.acquireTimeoutMs,
      maxWaiters: settings.blocking.maxWaiters,
      connectTimeoutMs: settings.connectTimeoutMs,
      idleTimeoutMs: settings.blocking.idleTimeoutMs,
      maxLifetimeMs: settings.blocking.maxLifetimeMs,
      keepaliveMs: settings.blocking.keepaliveMs,
      leakDetectionMs: settings.blocking.leakDetectionMs,
      shutdownTimeoutMs: settings.blocking.shutdownTimeoutMs,
      logger: settings.logger,
      scheduler: settings.scheduler,
      resourceRegistry: settings.resourceRegistry,
      resourceType: 'redis-connection',
      factory: {
        create: async ({ signal, invalidate }) => {
          // No command timeout (a BLPOP may rightly wait) and no reconnect: a dropped one is replaced by the pool.
          const connection = createClient(settings, {
            lazyConnect: true,
            connectTimeout: settings.connectTimeoutMs,
            commandTimeout: undefined,
            enableOfflineQueue: false,
            maxRetriesPerRequest: 0,
            retryStrategy: () => null,
          });
          connection.on('error', (error: Error) => invalidate(error));
          connection.on('end', () => invalidate(new Error('connection ended')));
          const onAbort = () => connection.disconnect();
          signal.addEventListener('abort', onAbort, { once: true });
          try {
            await connection.connect();
          } catch (error) {
            connection.disconnect();
            throw error;
          } finally {
            signal.removeEventListener('abort', onAbort);
          }
          return connection;
        },
        destroy: (connection) => closeRedis(connection, settings.connectTimeoutMs),
        validate: async (connection) => (await connection.ping()) === 'PONG',
      },
    });
  }

  get name(): string {
    return this.settings.name;
  }

  /** `redis:host:port`: clients of every instance on this key share one `maxclients`. */
  get serverKey(): string {
    const o = this.settings.options ?? {};
    let host = o.host;
    let port = o.port;
    if (this.settings.url) {
      try {
        const url = new URL(this.settings.url);
        host ??= url.hostname || undefined;
        port ??= url.port ? Number(url.port) : undefined;
      } catch {
        // Not a URL (a unix socket path): fall back to the defaults below.
      }
    }
    return `redis:${host ?? 'localhost'}:${port ?? 6379}`;
  }

  /** Connects, pings and reads `maxclients`; rejects (redacted) when Redis does not answer. */
  async open(): Promise<void> {
    if (this.client.status === 'wait') await this.client.connect();
    await this.client.ping();
    const { limit, refused } = await readRedisMaxClients(this.client);
    this.serverConnections = limit;
    this.limitRefused = refused === undefined ? undefined : redactString(refused);
    this.handle ??= this.settings.resourceRegistry?.tracking
      ? this.settings.resourceRegistry.register(this.client, {
          type: 'redis-client',
          owner: this.owner,
          longLived: true,
        })
      : undefined;
    this.trackSocket();
  }

  private get owner(): string {
    return `pool:redis:${this.settings.name}`;
  }

  /**
   * Registers the client's current socket under this pool (long-lived) and releases the one it
   * replaced. Registering the client with its first socket as a fixed part would keep that socket's
   * record open after a reconnect closed it, and the tracker would report it collected-without-close.
   */
  private trackSocket(): void {
    const registry = this.settings.resourceRegistry;
    const socket = (this.client as unknown as { stream?: Socket }).stream;
    if (!registry?.tracking || socket === undefined || socket === this.socket || socket.destroyed) return;
    this.socketHandle?.release();
    const handle = registry.register(socket, {
      type: 'socket',
      owner: this.owner,
      longLived: true,
      details: { role: 'redis-client', local: socket.localPort },
    });
    this.socket = socket;
    this.socketHandle = handle;
    socket.once('close', () => {
      handle.release();
      if (this.socketHandle === handle) {
        this.socket = undefined;
        this.socketHandle = undefined;
      }
    });
  }

  clientStats(): RedisClientStats {
    return {
      state: this.client.status,
      reconnects: this.reconnects,
      reconnectAttempts: this.reconnectAttempts,
      errors: this.errors,
    };
  }

  /**
   * PING through the shared client (fails at once while disconnected, the offline queue being off),
   * then the memory threshold and the blocking pool's load.
   */
  async probe(signal: AbortSignal, thresholds: PoolHealthThresholds): Promise<HealthSnapshot> {
    const started = performance.now();
    const details: Record<string, unknown> = { state: this.client.status, reconnects: this.reconnects };
    try {
      await abortable(this.client.ping(), signal);
    } catch (error) {
      return pingFailed(`Redis "${this.name}"`, error, details);
    }
    details.pingMs = Math.round((performance.now() - started) * 100) / 100;
    const threshold = this.settings.memoryThresholdBytes;
    if (threshold !== undefined) {
      const info = await abortable(this.client.info('memory'), signal).catch(() => '');
      const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
      if (Number.isFinite(used)) {
        details.usedMemoryBytes = used;
        if (used > threshold)
          return degraded(`used_memory ${used} B is above the threshold of ${threshold} B`, details);
      }
    }
    const blocking = this.blocking.stats();
    if (blocking.used > 0 || blocking.pending > 0) {
      const assessed = assessPool(blocking, thresholds);
      if (assessed.status !== 'healthy') return { ...assessed, details: { ...details, blocking: assessed.details } };
    }
    return healthy(details);
  }

  async close(timeoutMs: number): Promise<void> {
    await this.blocking.close(timeoutMs);
    await closeRedis(this.client, this.settings.connectTimeoutMs);
    this.socketHandle?.release();
    this.handle?.release();
  }
}

function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

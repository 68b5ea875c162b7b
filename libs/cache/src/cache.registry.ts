import { Inject, Injectable, Optional, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { MEMORY_GOVERNOR, RESOURCE_REGISTRY, type MemoryGovernorRef, type ResourceRegistry } from '@ballast/core';

import { AsyncTTLCache } from './async-ttl-cache.js';
import { CACHE_OPTIONS, DEFAULT_CACHE_NAME } from './cache.constants.js';
import { cacheMemoryConsumer } from './cache.memory-consumer.js';
import { CacheMetrics } from './cache.metrics.js';
import type { NamedCacheOptions, ResolvedCacheModuleOptions } from './cache.options.js';
import { cacheDecoratorContext } from './decorators/cache-decorator.context.js';
import { RedisL2 } from './l2/redis-l2.js';
import { RedisL2Connection } from './l2/redis-l2.connection.js';

/**
 * Creates and owns the module's caches: the default one from the top-level settings and one per
 * entry of `caches`, each falling back to the top-level settings for what it leaves out. Opens the
 * shared L2 connection when configured and closes everything on shutdown. With a memory governor in
 * the app, every cache registers with it as a consumer (and leaves it on shutdown).
 */
@Injectable()
export class CacheRegistry implements OnModuleInit, OnApplicationShutdown {
  private readonly caches = new Map<string, AsyncTTLCache<unknown>>();
  private readonly cleanupIntervals = new Map<string, number>();
  private readonly connection: RedisL2Connection | undefined;
  private readonly unregister: (() => void)[] = [];

  constructor(
    @Inject(CACHE_OPTIONS) readonly options: ResolvedCacheModuleOptions,
    private readonly metrics: CacheMetrics,
    @Optional() @Inject(RESOURCE_REGISTRY) resources?: ResourceRegistry,
    @Optional() @Inject(MEMORY_GOVERNOR) private readonly governor?: MemoryGovernorRef,
  ) {
    const { l2 } = options;
    if (l2.enabled) {
      this.connection = new RedisL2Connection(
        {
          url: l2.url,
          client: l2.client,
          keyPrefix: l2.keyPrefix,
          channel: l2.channel,
          commandTimeoutMs: l2.commandTimeoutMs,
          connectTimeoutMs: l2.connectTimeoutMs,
          maxReconnectDelayMs: l2.maxReconnectDelayMs,
          readYourWrites: l2.readYourWrites,
          ackTimeoutMs: l2.ackTimeoutMs,
        },
        resources,
      );
    }
    this.create(DEFAULT_CACHE_NAME, {});
    for (const [name, settings] of Object.entries(options.caches)) this.create(name, settings);
    metrics.watch(() => this.caches.values());
    cacheDecoratorContext.attach(this);
  }

  /** The cache called `name`; throws, listing the configured ones, when there is none. */
  get<V = unknown>(name: string = DEFAULT_CACHE_NAME): AsyncTTLCache<V> {
    const cache = this.caches.get(name);
    if (cache === undefined) {
      throw new Error(`CacheModule: no cache named "${name}"; configured: ${[...this.caches.keys()].join(', ')}`);
    }
    return cache as AsyncTTLCache<V>;
  }

  /** A cache declared for injection: the configured one, or one with the top-level settings. */
  declare<V = unknown>(name: string): AsyncTTLCache<V> {
    return (this.caches.get(name) ?? this.create(name, {})) as AsyncTTLCache<V>;
  }

  list(): AsyncTTLCache<unknown>[] {
    return [...this.caches.values()];
  }

  /** Time for the purge of `name` to pass over all its shards once, in ms. */
  cleanupIntervalOf(name: string): number {
    return this.cleanupIntervals.get(name) ?? this.options.cleanupIntervalMs;
  }

  async onModuleInit(): Promise<void> {
    await this.connection?.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    cacheDecoratorContext.detach(this);
    this.metrics.unwatch();
    for (const leave of this.unregister.splice(0)) leave();
    for (const cache of this.caches.values()) cache.close();
    await this.connection?.close();
  }

  private create(name: string, settings: NamedCacheOptions): AsyncTTLCache<unknown> {
    const top = this.options;
    const useL2 = this.connection !== undefined && (settings.l2 ?? true);
    const cache = new AsyncTTLCache<unknown>({
      name,
      ttlMs: settings.ttlMs ?? top.ttlMs,
      maxEntries: settings.maxEntries ?? top.maxEntries,
      maxBytes: settings.maxBytes ?? top.maxBytes,
      numShards: settings.numShards ?? top.numShards,
      policy: settings.policy ?? top.policy,
      staleWhileRevalidateMs: settings.staleWhileRevalidateMs ?? top.staleWhileRevalidateMs,
      sizeOf: settings.sizeOf ?? top.sizeOf,
      degradedTtlMs: top.l2.degradedTtlMs,
      onLoad: (durationMs, ok) => this.metrics.observeLoad(name, durationMs, ok),
      l2: useL2 ? new RedisL2(this.connection!, name) : undefined,
    });
    this.caches.set(name, cache);
    if (this.governor !== undefined) this.unregister.push(this.governor.register(cacheMemoryConsumer(cache)));
    this.cleanupIntervals.set(name, settings.cleanupIntervalMs ?? top.cleanupIntervalMs);
    return cache;
  }
}

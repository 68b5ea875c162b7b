import { Inject, Injectable, Optional, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import {
  appIntervalRegistry,
  PrivateIntervalRegistry,
  RESOURCE_REGISTRY,
  type IntervalRegistry,
  type ResourceHandle,
  type ResourceRegistry,
} from '@ballast/core';

import { CacheRegistry } from './cache.registry.js';

/** Shortest tick: below this a purge of a tiny shard is not worth a timer wake-up. */
const MIN_TICK_MS = 5;

/**
 * The background purge: per cache one interval, registered in `SchedulerRegistry` as
 * `ballast-cache-purge:<name>`, that purges one shard per tick, so a full pass over a cache takes
 * its cleanup interval and no tick walks more than one shard. No timer per entry. When the app has
 * no `ScheduleModule` (or no @nestjs/schedule), a private registry holds the intervals the same way.
 */
@Injectable()
export class CachePurgeScheduler implements OnModuleInit, OnApplicationShutdown {
  private scheduler: IntervalRegistry = new PrivateIntervalRegistry();
  private readonly jobs: { name: string; interval: NodeJS.Timeout }[] = [];
  private readonly handles: ResourceHandle[] = [];

  constructor(
    private readonly caches: CacheRegistry,
    private readonly moduleRef: ModuleRef,
    @Optional() @Inject(RESOURCE_REGISTRY) private readonly resources?: ResourceRegistry,
  ) {}

  async onModuleInit(): Promise<void> {
    this.scheduler = (await appIntervalRegistry(this.moduleRef)) ?? this.scheduler;
    for (const cache of this.caches.list()) {
      const name = `ballast-cache-purge:${cache.name}`;
      const tickMs = Math.max(MIN_TICK_MS, Math.floor(this.caches.cleanupIntervalOf(cache.name) / cache.shardCount));
      const interval = setInterval(() => cache.purgeNextShard(), tickMs);
      interval.unref();
      this.scheduler.addInterval(name, interval);
      this.jobs.push({ name, interval });
      const handle = this.resources?.register(interval, {
        type: 'timer',
        owner: 'CacheModule',
        longLived: true,
        details: { job: name, tickMs },
      });
      if (handle) this.handles.push(handle);
    }
  }

  onApplicationShutdown(): void {
    for (const { name, interval } of this.jobs.splice(0)) {
      // ScheduleModule may have cleared its registry first; the interval is ours to stop either way.
      if (this.scheduler.doesExist('interval', name)) this.scheduler.deleteInterval(name);
      clearInterval(interval);
    }
    for (const handle of this.handles.splice(0)) handle.release();
  }
}

import { Inject, Injectable, Optional, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { MEMORY_GOVERNOR, MemoryPriority, type MemoryConsumer, type MemoryGovernorRef } from '@ballast/core';

import { ModelCache } from './model-cache.js';
import { RESULT_CACHE } from './neural.constants.js';
import type { ResultCache } from './result-cache.js';

/**
 * The loaded models as a memory governor sees them: `neural:models`, unloaded last
 * (`MemoryPriority.MODELS`), never under a lease. `currentBytes` walks the entries: at most
 * `maxModels` of them.
 */
export function modelCacheMemoryConsumer<M>(models: ModelCache<M>): MemoryConsumer {
  return {
    name: 'neural:models',
    priority: MemoryPriority.MODELS,
    currentBytes: () => models.chargedBytes(),
    shrink: (bytes) => models.shrink(bytes),
    setGrowthCap: (bytes) => models.setGrowthCap(bytes),
  };
}

/** The inference results as a memory governor sees them: `neural:results`, dropped first. */
export function resultCacheMemoryConsumer(results: ResultCache): MemoryConsumer {
  return {
    name: 'neural:results',
    priority: MemoryPriority.RESULTS,
    currentBytes: () => results.heldBytes,
    shrink: (bytes) => results.shrink(bytes),
    setGrowthCap: (bytes) => results.setGrowthCap(bytes),
  };
}

/**
 * With a memory governor in the app (under core's `MEMORY_GOVERNOR`), registers the model cache and
 * the result cache as consumers and has every model load take a reservation for its predicted size;
 * without one, does nothing. Leaves the governor on shutdown.
 */
@Injectable()
export class NeuralMemoryRegistrar implements OnModuleInit, OnApplicationShutdown {
  private readonly unregister: (() => void)[] = [];

  constructor(
    private readonly models: ModelCache<unknown>,
    @Optional() @Inject(RESULT_CACHE) private readonly results: ResultCache | null = null,
    @Optional() @Inject(MEMORY_GOVERNOR) private readonly governor?: MemoryGovernorRef,
  ) {}

  onModuleInit(): void {
    const governor = this.governor;
    if (governor === undefined) return;
    this.unregister.push(governor.register(modelCacheMemoryConsumer(this.models)));
    if (this.results !== null) this.unregister.push(governor.register(resultCacheMemoryConsumer(this.results)));
    this.models.reserveMemory = (bytes, owner) => governor.reserve(bytes, owner);
  }

  onApplicationShutdown(): void {
    this.models.reserveMemory = undefined;
    for (const leave of this.unregister.splice(0)) leave();
  }
}

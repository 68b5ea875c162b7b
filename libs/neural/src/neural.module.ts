import { Module, type Provider, type DynamicModule } from '@nestjs/common';
import {
  METRICS_REGISTRY,
  RedactingLogger,
  RESOURCE_REGISTRY,
  type MetricsRegistry,
  type ResourceHandle,
  type ResourceRegistry,
} from '@ballast/core';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import type { ModelCacheObserver } from './interfaces/model-cache-stats.interface.js';
import type { ModelLoader } from './interfaces/model-loader.interface.js';
import { ModelCache } from './model-cache.js';
import { NEURAL_OPTIONS, RESULT_CACHE } from './neural.constants.js';
import { ConfigurableNeuralModule, NEURAL_MODULE_OPTIONS, NEURAL_OPTIONS_TYPE } from './neural.module-definition.js';
import { NeuralLifecycle } from './neural-cleanup.scheduler.js';
import { NeuralMemoryRegistrar } from './neural.memory.js';
import { NeuralMetrics } from './neural.metrics.js';
import { neuralOptions, type NeuralModuleOptions, type NeuralOptions } from './neural.options.js';
import { NeuralService } from './neural.service.js';
import { OnnxModelLoader } from './onnx/onnx-model.loader.js';
import { ResultCache } from './result-cache.js';

function loaderFor(options: NeuralOptions): ModelLoader {
  if (options.loader) return options.loader;
  const dir = options.modelDir!;
  return new OnnxModelLoader({
    resolve: ({ name }) => join(dir, `${name}.onnx`),
    execution: options.execution,
    memoryFactor: options.memoryFactor,
  });
}

/**
 * Registers every loaded session, and the threads it holds, with the resource registry (the
 * tracker), released on unload. The cache bounds their lifetime itself (idle TTL, stuck-lease
 * reports), so they are long-lived to the tracker.
 */
function resourceObserver(resources: ResourceRegistry | undefined, runtime: string): ModelCacheObserver {
  if (!resources?.tracking) return {};
  const handles = new Map<string, ResourceHandle[]>();
  return {
    loaded(key, _ms, bytes, held) {
      const session = resources.register(
        { key },
        { type: 'model-session', owner: 'NeuralModule', longLived: true, details: { model: key, bytes, runtime } },
      );
      const threads = held.map((resource) =>
        resources.register(resource, {
          type: resource instanceof Worker ? 'worker' : 'model-resource',
          owner: 'NeuralModule',
          longLived: true,
          details: { model: key },
        }),
      );
      handles.set(key, [session, ...threads]);
    },
    unloaded(key) {
      for (const handle of handles.get(key) ?? []) handle.release();
      handles.delete(key);
    },
  };
}

function combine(observers: ModelCacheObserver[]): ModelCacheObserver {
  return {
    loaded: (...args) => observers.forEach((o) => o.loaded?.(...args)),
    loadFailed: (...args) => observers.forEach((o) => o.loadFailed?.(...args)),
    unloaded: (...args) => observers.forEach((o) => o.unloaded?.(...args)),
    hit: (...args) => observers.forEach((o) => o.hit?.(...args)),
    miss: (...args) => observers.forEach((o) => o.miss?.(...args)),
  };
}

const providers: Provider[] = [
  {
    provide: NEURAL_OPTIONS,
    useFactory: (raw: NeuralModuleOptions): NeuralOptions => neuralOptions.parse(raw),
    inject: [NEURAL_MODULE_OPTIONS],
  },
  {
    provide: NeuralMetrics,
    useFactory: (registry?: MetricsRegistry) => (registry ? new NeuralMetrics(registry) : undefined),
    inject: [{ token: METRICS_REGISTRY, optional: true }],
  },
  {
    provide: ModelCache,
    useFactory: (options: NeuralOptions, metrics?: NeuralMetrics, resources?: ResourceRegistry) => {
      const loader = loaderFor(options);
      const observers: ModelCacheObserver[] = [resourceObserver(resources, loader.runtime)];
      if (metrics) observers.push(metrics);
      return new ModelCache(
        loader,
        {
          maxModels: options.maxModels,
          maxBytes: options.maxBytes,
          idleTtlMs: options.idleTtlMs,
          loadConcurrency: options.loadConcurrency,
          loadTimeoutMs: options.loadTimeoutMs,
          failedLoadTtlMs: options.failedLoadTtlMs,
          defaultDevice: options.device,
          stuckLeaseMs: options.stuckLeaseMs,
          drainTimeoutMs: options.drainTimeoutMs,
          defaultPredictedBytes: options.defaultPredictedBytes,
          captureLeaseStacks: options.captureLeaseStacks,
        },
        combine(observers),
        new RedactingLogger('NeuralModule'),
      );
    },
    inject: [NEURAL_OPTIONS, { token: NeuralMetrics, optional: true }, { token: RESOURCE_REGISTRY, optional: true }],
  },
  {
    provide: RESULT_CACHE,
    useFactory: (options: NeuralOptions) => (options.resultCache.enabled ? new ResultCache(options.resultCache) : null),
    inject: [NEURAL_OPTIONS],
  },
  NeuralService,
  NeuralLifecycle,
  NeuralMemoryRegistrar,
];

/**
 * Loaded models bounded by count and bytes, released on eviction; inference through leases.
 *
 * @example
 * NeuralModule.forRoot({ loader: new OnnxModelLoader({ resolve: ({ name }) => `/models/${name}.onnx` }), maxBytes: 256 * 1024 * 1024 })
 */
@Module({ providers, exports: [ModelCache, NeuralService, RESULT_CACHE, NEURAL_OPTIONS] })
export class NeuralModule extends ConfigurableNeuralModule {
  /** `forRoot()` with no argument: every option has a default or an environment variable. */
  static override forRoot(options: typeof NEURAL_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }
}

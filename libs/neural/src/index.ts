import './dispose.polyfill.js';

export { NeuralModule } from './neural.module.js';
export { NEURAL_MODULE_OPTIONS } from './neural.module-definition.js';
export { NEURAL_CLEANUP_JOB, NEURAL_OPTIONS, RESULT_CACHE } from './neural.constants.js';
export { neuralOptions, type NeuralModuleOptions, type NeuralOptions } from './neural.options.js';
export { NeuralService, type PredictOptions, type RunnableModel } from './neural.service.js';

export { ModelCache, MODEL_CACHE_DEFAULTS, type GetOrLoadOptions, type ModelCacheOptions } from './model-cache.js';
export { ModelLease } from './model-lease.js';
export {
  ResultCache,
  resultKey,
  type ResultCacheOptions,
  type ResultCacheStats,
  type TensorMap,
} from './result-cache.js';
export type { LoadedModel, ModelLoader, ModelLoadRequest, ModelMemory } from './interfaces/model-loader.interface.js';
export type {
  ModelCacheObserver,
  ModelCacheStats,
  ModelInfo,
  ModelState,
  StuckLease,
  UnloadReason,
} from './interfaces/model-cache-stats.interface.js';
export { ModelCacheClosedError, ModelCapacityError, ModelLoadError, ModelLoadTimeoutError } from './neural.errors.js';
export { neuralHealth, type ModelCacheView } from './neural.health.js';
export { NeuralReporter, neuralRecommendations } from './neural.reporter.js';
export { NeuralMetrics } from './neural.metrics.js';
export { modelCacheMemoryConsumer, NeuralMemoryRegistrar, resultCacheMemoryConsumer } from './neural.memory.js';

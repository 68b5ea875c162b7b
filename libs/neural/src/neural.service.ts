import { Inject, Injectable, Optional } from '@nestjs/common';

import { ModelCache, type GetOrLoadOptions } from './model-cache.js';
import { RESULT_CACHE } from './neural.constants.js';
import { ResultCache, type TensorMap } from './result-cache.js';

/** Any model with `run(feeds)`, such as an `OnnxModel`. */
export interface RunnableModel {
  run(feeds: TensorMap): Promise<TensorMap>;
}

export interface PredictOptions extends GetOrLoadOptions {
  /** Skip the result cache for this call. */
  readonly noCache?: boolean;
}

/**
 * Inference through the model cache (and the result cache when enabled): takes a lease, runs,
 * releases, so the model cannot be unloaded under the call.
 */
@Injectable()
export class NeuralService {
  constructor(
    readonly models: ModelCache<RunnableModel>,
    @Optional() @Inject(RESULT_CACHE) readonly results: ResultCache | null = null,
  ) {}

  predict(name: string, feeds: TensorMap, options: PredictOptions = {}): Promise<TensorMap> {
    const run = () => this.models.withModel(name, (model) => model.run(feeds), options);
    if (this.results === null || options.noCache) return run();
    return this.results.getOrCompute(`${name}@${options.device ?? this.models.options.defaultDevice}`, feeds, run);
  }
}

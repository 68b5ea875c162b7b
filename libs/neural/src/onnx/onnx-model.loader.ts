import { stat } from 'node:fs/promises';

import type { InferenceSession } from 'onnxruntime-node';

import type { LoadedModel, ModelLoader, ModelLoadRequest } from '../interfaces/model-loader.interface.js';
import { OnnxInlineModel } from './onnx-inline.model.js';
import { zeroFeeds, type OnnxExecution, type OnnxModel } from './onnx-model.interface.js';
import { OnnxWorkerModel } from './onnx-worker.model.js';

/** A model file path, or the model's bytes. */
export type OnnxModelSource = string | Uint8Array;

export interface OnnxModelLoaderOptions {
  /** Where a model's bytes come from: a file path or the bytes themselves. */
  resolve(request: ModelLoadRequest): OnnxModelSource | Promise<OnnxModelSource>;
  /** `worker` runs each session on its own worker thread so inference does not block the event loop. */
  readonly execution?: OnnxExecution;
  /**
   * Resident memory per model byte, charged against the cache's bound. Measured with
   * onnxruntime-node 1.30 on CPU: RSS grows 1.2–2.5x the model's size (initializer copies,
   * prepacked Gemm weights, allocator slack); 2.5 by default so `maxBytes` bounds real memory.
   */
  readonly memoryFactor?: number;
  /** Passed to `InferenceSession.create` (must be structured-cloneable in worker mode). */
  readonly sessionOptions?: InferenceSession.SessionOptions;
}

/** `cpu`, `cuda`, `cuda:1`, `dml`... -> onnxruntime execution providers, CPU always last as the fallback. */
export function executionProvidersFor(device: string): InferenceSession.ExecutionProviderConfig[] {
  const [provider, id] = device.split(':');
  if (!provider || provider === 'cpu') return ['cpu'];
  const deviceId = id === undefined ? undefined : Number(id);
  return [deviceId === undefined ? provider : ({ name: provider, deviceId } as never), 'cpu'];
}

/**
 * The onnxruntime-node adapter. Memory: the weights are the model's byte size; ORT's own
 * allocations are native and invisible to `process.memoryUsage()`, so they are estimated as
 * `(memoryFactor - 1) x weights`; ORT does not report device memory, so `deviceBytes` stays unset.
 */
export class OnnxModelLoader implements ModelLoader<OnnxModel> {
  readonly runtime = 'onnxruntime-node';
  readonly execution: OnnxExecution;
  readonly memoryFactor: number;

  constructor(private readonly options: OnnxModelLoaderOptions) {
    this.execution = options.execution ?? 'inline';
    this.memoryFactor = options.memoryFactor ?? 2.5;
    if (!(this.memoryFactor >= 1)) throw new RangeError(`memoryFactor must be >= 1, got ${this.memoryFactor}`);
  }

  async predictBytes(request: ModelLoadRequest): Promise<number | undefined> {
    const source = await this.options.resolve(request);
    const size = typeof source === 'string' ? (await stat(source)).size : source.byteLength;
    return Math.ceil(size * this.memoryFactor);
  }

  async load(request: ModelLoadRequest, signal: AbortSignal): Promise<LoadedModel<OnnxModel>> {
    const source = await this.options.resolve(request);
    signal.throwIfAborted();
    const weightsBytes = typeof source === 'string' ? (await stat(source)).size : source.byteLength;
    const sessionOptions: InferenceSession.SessionOptions = {
      executionProviders: executionProvidersFor(request.device),
      ...this.options.sessionOptions,
    };
    const model =
      this.execution === 'worker'
        ? await OnnxWorkerModel.create(request.name, source, sessionOptions)
        : await OnnxInlineModel.create(request.name, source, sessionOptions);
    return {
      model,
      memory: { weightsBytes, runtimeBytes: Math.ceil(weightsBytes * this.memoryFactor) - weightsBytes },
      dispose: () => model.release(),
      resources: model instanceof OnnxWorkerModel ? [model.thread] : [],
      warmUp: async () => {
        const feeds = zeroFeeds(model.inputs);
        if (feeds) await model.run(feeds);
      },
    };
  }
}

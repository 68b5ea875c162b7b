import type * as ort from 'onnxruntime-node';

import type { OnnxFeeds, OnnxInputInfo, OnnxModel, OnnxOutputs } from './onnx-model.interface.js';
import { loadOnnxRuntime } from './onnx-runtime.js';

function inputsOf(session: ort.InferenceSession): OnnxInputInfo[] {
  return session.inputNames.map((name, i) => {
    const meta = session.inputMetadata?.[i];
    return meta && meta.isTensor ? { name, type: meta.type, shape: [...meta.shape] } : { name };
  });
}

/**
 * A session in this thread. `run()` is a synchronous native call underneath: it blocks the event
 * loop for the whole inference (use the worker execution for large models).
 */
export class OnnxInlineModel implements OnnxModel {
  readonly execution = 'inline' as const;
  readonly inputs: readonly OnnxInputInfo[];
  readonly outputNames: readonly string[];

  private constructor(
    readonly name: string,
    private readonly session: ort.InferenceSession,
    private readonly runtime: typeof ort,
  ) {
    this.inputs = inputsOf(session);
    this.outputNames = [...session.outputNames];
  }

  static async create(
    name: string,
    source: string | Uint8Array,
    options: ort.InferenceSession.SessionOptions,
  ): Promise<OnnxInlineModel> {
    const runtime = await loadOnnxRuntime();
    const session =
      typeof source === 'string'
        ? await runtime.InferenceSession.create(source, options)
        : await runtime.InferenceSession.create(source, options);
    return new OnnxInlineModel(name, session, runtime);
  }

  async run(feeds: OnnxFeeds): Promise<OnnxOutputs> {
    const tensors: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds))
      tensors[name] = new this.runtime.Tensor(t.type ?? 'float32', t.data, t.dims);
    const result = await this.session.run(tensors);
    const out: OnnxOutputs = {};
    for (const [name, tensor] of Object.entries(result)) {
      out[name] = { type: tensor.type as never, data: tensor.data as Float32Array, dims: [...tensor.dims] };
    }
    return out;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

import * as ort from 'onnxruntime-node';

import type { OnnxFeeds, OnnxInputInfo, OnnxModel, OnnxOutputs } from './onnx-model.interface.js';

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
  ) {
    this.inputs = inputsOf(session);
    this.outputNames = [...session.outputNames];
  }

  static async create(
    name: string,
    source: string | Uint8Array,
    options: ort.InferenceSession.SessionOptions,
  ): Promise<OnnxInlineModel> {
    const session =
      typeof source === 'string'
        ? await ort.InferenceSession.create(source, options)
        : await ort.InferenceSession.create(source, options);
    return new OnnxInlineModel(name, session);
  }

  async run(feeds: OnnxFeeds): Promise<OnnxOutputs> {
    const tensors: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) tensors[name] = new ort.Tensor(t.type ?? 'float32', t.data, t.dims);
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

import type { LoadedModel, ModelLoader, ModelLoadRequest, RunnableModel } from '@ballast/neural';

type Tensors = Parameters<RunnableModel['run']>[0];

/** A loader without an ML runtime: its "model" doubles every input value. */
export class DoublingLoader implements ModelLoader<RunnableModel> {
  readonly runtime = 'doubling';

  async load(request: ModelLoadRequest): Promise<LoadedModel<RunnableModel>> {
    const model: RunnableModel = {
      async run(feeds: Tensors): Promise<Tensors> {
        const out: Record<string, Tensors[string]> = {};
        for (const [name, t] of Object.entries(feeds)) {
          out[name] = { ...t, data: Float32Array.from(t.data as Float32Array, (v) => v * 2) };
        }
        return out;
      },
    };
    return { model, memory: { weightsBytes: 1024 + request.name.length }, dispose: () => undefined };
  }
}

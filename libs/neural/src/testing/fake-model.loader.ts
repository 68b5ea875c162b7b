import type { LoadedModel, ModelLoader, ModelLoadRequest } from '../interfaces/model-loader.interface.js';

export interface FakeModel {
  readonly name: string;
  disposed: boolean;
  run(input: number): number;
}

/**
 * A loader for unit tests: sizes per model, controllable load latency and failures, and a record of
 * every load and dispose. Runs no runtime at all.
 */
export class FakeModelLoader implements ModelLoader<FakeModel> {
  readonly runtime = 'fake';
  readonly loads: string[] = [];
  readonly disposals: string[] = [];
  active = 0;
  maxActive = 0;
  failures = new Map<string, number>();
  gate?: Promise<void>;
  /** Measured size = predicted size * this (to test the correction). */
  actualFactor = 1;

  constructor(
    readonly sizes: Record<string, number> = {},
    readonly loadMs = 0,
  ) {}

  predictBytes(request: ModelLoadRequest): number | undefined {
    return this.sizes[request.name];
  }

  async load(request: ModelLoadRequest, signal: AbortSignal): Promise<LoadedModel<FakeModel>> {
    this.loads.push(request.name);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      if (this.loadMs > 0) await new Promise((resolve) => setTimeout(resolve, this.loadMs));
      await this.gate;
      signal.throwIfAborted();
      const failing = this.failures.get(request.name) ?? 0;
      if (failing > 0) {
        this.failures.set(request.name, failing - 1);
        throw new Error(`cannot load ${request.name}`);
      }
      const model: FakeModel = {
        name: request.name,
        disposed: false,
        run(input) {
          if (this.disposed) throw new Error('Session already disposed');
          return input * 2;
        },
      };
      return {
        model,
        memory: { weightsBytes: Math.round((this.sizes[request.name] ?? 1) * this.actualFactor) },
        dispose: async () => {
          await Promise.resolve();
          model.disposed = true;
          this.disposals.push(request.name);
        },
      };
    } finally {
      this.active--;
    }
  }
}

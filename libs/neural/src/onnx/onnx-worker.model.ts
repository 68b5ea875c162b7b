import { Worker } from 'node:worker_threads';

import type { InferenceSession } from 'onnxruntime-node';

import type { OnnxFeeds, OnnxInputInfo, OnnxModel, OnnxOutputs } from './onnx-model.interface.js';
import { resolveOnnxRuntime } from './onnx-runtime.js';
import { ONNX_WORKER_SCRIPT } from './onnx-worker.script.js';

interface Reply {
  id: number;
  result?: unknown;
  error?: { name?: string; message: string };
}

let ortPath: string | undefined;

/**
 * A session on a worker thread of its own: `run()` costs the main thread a message each way, so
 * the event loop stays responsive during inference. One worker per loaded model; disposing the
 * model releases the session and ends the worker.
 */
export class OnnxWorkerModel implements OnnxModel {
  readonly execution = 'worker' as const;
  inputs: readonly OnnxInputInfo[] = [];
  outputNames: readonly string[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private failure?: Error;

  private constructor(
    readonly name: string,
    private readonly worker: Worker,
  ) {
    worker.on('message', (reply: Reply) => {
      const call = this.pending.get(reply.id);
      if (!call) return;
      this.pending.delete(reply.id);
      if (reply.error)
        call.reject(Object.assign(new Error(reply.error.message), { name: reply.error.name ?? 'Error' }));
      else call.resolve(reply.result);
    });
    const fail = (error: Error): void => {
      this.failure = error;
      for (const call of this.pending.values()) call.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`ONNX worker of model ${name} exited (code ${code})`)));
  }

  static async create(
    name: string,
    source: string | Uint8Array,
    options: InferenceSession.SessionOptions,
  ): Promise<OnnxWorkerModel> {
    ortPath ??= resolveOnnxRuntime();
    const worker = new Worker(ONNX_WORKER_SCRIPT, { eval: true, workerData: { ortPath } });
    const model = new OnnxWorkerModel(name, worker);
    try {
      const info = (await model.call({ op: 'create', source, options })) as {
        inputs: OnnxInputInfo[];
        outputNames: string[];
      };
      model.inputs = info.inputs;
      model.outputNames = info.outputNames;
      return model;
    } catch (error) {
      await worker.terminate();
      throw error;
    }
  }

  /** The worker thread the session lives in. */
  get thread(): Worker {
    return this.worker;
  }

  run(feeds: OnnxFeeds): Promise<OnnxOutputs> {
    return this.call({ op: 'run', feeds }) as Promise<OnnxOutputs>;
  }

  async release(): Promise<void> {
    try {
      if (!this.failure) await this.call({ op: 'release' });
    } finally {
      await this.worker.terminate();
    }
  }

  private call(message: Record<string, unknown>): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...message });
    });
  }
}

/** What a loader is asked for: a model name, a device and options of the caller's own. */
export interface ModelLoadRequest {
  readonly name: string;
  /** e.g. `cpu`, `cuda`; the cache's default device unless the caller names one. */
  readonly device: string;
  readonly options?: Readonly<Record<string, unknown>>;
}

/** Memory a loaded model holds, as far as the runtime lets us see it. */
export interface ModelMemory {
  /** Weights in host memory (for ONNX: the model bytes). */
  readonly weightsBytes: number;
  /**
   * Host memory the runtime takes beyond the weights (copies, prepacked kernels, arenas), as far as
   * the adapter can tell: measured or estimated.
   */
  readonly runtimeBytes?: number;
  /** Device (GPU) memory, where the runtime reports it. */
  readonly deviceBytes?: number;
}

/** A model in memory plus what it takes to free it. */
export interface LoadedModel<M> {
  readonly model: M;
  readonly memory: ModelMemory;
  /** Frees native/device memory; the cache calls it once, when no lease is held. */
  dispose(): void | Promise<void>;
  /**
   * Process resources the model holds while loaded (its worker thread, say). The tracker records
   * them as the model's, long-lived, so a cached model is not reported as a leaked thread.
   */
  readonly resources?: readonly object[];
  /** Runs one throw-away inference so the first request does not pay for lazy initialisation. */
  warmUp?(): void | Promise<void>;
}

/**
 * A runtime adapter. The cache decides when to load and unload; the loader only knows how.
 * `predictBytes` lets the cache charge the byte bound before loading (e.g. the file size).
 */
export interface ModelLoader<M = unknown> {
  /** Shown in metrics and reports, e.g. `onnxruntime-node`. */
  readonly runtime: string;
  predictBytes?(request: ModelLoadRequest): number | undefined | Promise<number | undefined>;
  load(request: ModelLoadRequest, signal: AbortSignal): Promise<LoadedModel<M>>;
}

export type ModelState = 'loading' | 'ready' | 'unloading' | 'failed';

/** `memory`: the memory governor asked the cache to shrink, or capped it under pressure. */
export type UnloadReason = 'capacity' | 'idle' | 'explicit' | 'shutdown' | 'late-load' | 'memory';

/** One model's memory and use, as `ModelCache.models()` lists it. */
export interface ModelInfo {
  readonly key: string;
  readonly name: string;
  readonly device: string;
  readonly state: ModelState;
  readonly pinned: boolean;
  readonly leases: number;
  /** Bytes charged against `maxBytes`: the prediction while loading, the measured size after. */
  readonly chargedBytes: number;
  readonly weightsBytes: number;
  /** The runtime's own host memory for this model (estimated by the loader). */
  readonly runtimeBytes: number;
  /** Bytes of this model's cached results. */
  readonly cacheBytes: number;
  readonly deviceBytes: number;
  readonly totalBytes: number;
  readonly hits: number;
  readonly loadedAt?: number;
  readonly lastUsedAt?: number;
  readonly error?: string;
}

/** A lease held longer than `stuckLeaseMs`: reported, never broken. */
export interface StuckLease {
  readonly key: string;
  readonly heldMs: number;
  readonly stack?: string;
}

export interface ModelCacheStats {
  readonly models: number;
  readonly maxModels: number;
  readonly chargedBytes: number;
  readonly maxBytes: number;
  readonly loadingBytes: number;
  readonly unloadingBytes: number;
  readonly weightsBytes: number;
  readonly runtimeBytes: number;
  readonly cacheBytes: number;
  readonly deviceBytes: number;
  readonly hits: number;
  readonly misses: number;
  readonly hitRate: number;
  readonly loads: number;
  readonly loadFailures: number;
  readonly cachedFailureHits: number;
  readonly unloads: Readonly<Record<UnloadReason, number>>;
  /** Loads rejected because the model alone is larger than `maxBytes`. */
  readonly tooLarge: number;
  /** Predicted size of the largest model rejected as too large. */
  readonly largestRejectedBytes: number;
  /** Highest charged bytes seen. */
  readonly peakChargedBytes: number;
  readonly leases: number;
  readonly stuckLeases: readonly StuckLease[];
  /** Evictions of a model loaded less than `idleTtlMs` ago: a sign of thrashing. */
  readonly earlyEvictions: number;
}

/** Hooks the metrics collector listens on. */
export interface ModelCacheObserver {
  loaded?(key: string, ms: number, bytes: number, resources: readonly object[]): void;
  loadFailed?(key: string, error: unknown): void;
  unloaded?(key: string, reason: UnloadReason, ageMs: number): void;
  hit?(key: string): void;
  miss?(key: string): void;
}

/**
 * The contract between what holds memory on purpose (byte-bounded caches, the model cache, the
 * result cache) and the memory governor that keeps the process under its budget. Libraries never
 * import each other: a cache implements this interface from core and registers itself with the
 * governor it finds under `MEMORY_GOVERNOR`.
 */
export interface MemoryConsumer {
  /** Unique among consumers and stable: `cache:tickets`, `neural:models`. Shown in metrics and reports. */
  readonly name: string;
  /**
   * How much the consumer is worth keeping, 0-100: the governor asks the lowest priority first and
   * a higher one only when that was not enough. See `MemoryPriority` for the values Ballast uses.
   */
  readonly priority: number;
  /** The bytes it holds now, by its own accounting; called on every sample, so it must be O(1). */
  currentBytes(): number;
  /**
   * Free about `bytes` (evict, unload, drop buffers) and answer how many were freed. May free less
   * (an entry in use, a model with a lease in flight) and may answer asynchronously; must not throw
   * for "nothing to free" (answer 0).
   */
  shrink(bytes: number): number | Promise<number>;
  /**
   * While pressure lasts the governor caps the consumer at `bytes` (its size after shrinking): it
   * must not grow past that, evicting to make room as it would at its own bound. `undefined` lifts
   * the cap and the consumer's own bound applies again.
   */
  setGrowthCap(bytes: number | undefined): void;
}

/**
 * Priorities of Ballast's own consumers, so an app can place its own between them: results are
 * cheap to recompute, cached reads cost a query, a model costs seconds to load.
 */
export const MemoryPriority = Object.freeze({
  /** Memoised results (the neural result cache): dropped first. */
  RESULTS: 10,
  /** Data caches (`@ballast/cache` L1). */
  CACHE: 50,
  /** Loaded models: unloaded last, and never while leased. */
  MODELS: 90,
});

/** `normal` below the elevated threshold; `elevated` from 80% of the budget; `critical` from 90%. */
export type MemoryPressureLevel = 'normal' | 'elevated' | 'critical';

/** Memory set aside for work that knows its size up front; `using` releases it at the end of the scope. */
export interface MemoryReservation extends Disposable {
  readonly bytes: number;
  readonly owner: string;
  /** Gives the bytes back; calling it twice is harmless. Same as `[Symbol.dispose]()`. */
  release(): void;
}

/** What consumers and callers see of the governor (the full service lives in `@ballast/memory`). */
export interface MemoryGovernorRef {
  /** The current level, as of the last sample. */
  readonly level: MemoryPressureLevel;
  /**
   * Adds a consumer; answers the function that removes it again (call it when the consumer
   * closes). A second consumer with the same name throws.
   */
  register(consumer: MemoryConsumer): () => void;
  /**
   * Sets `bytes` aside for `owner` (a batch, an upload, a model load), counted as used until the
   * reservation is released. Throws `MemoryReservationRefusedError` when it would take the process
   * past the critical threshold.
   */
  reserve(bytes: number, owner: string): MemoryReservation;
}

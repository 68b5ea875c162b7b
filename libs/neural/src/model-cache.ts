import { BallastError, MemoryReservationRefusedError } from '@ballast/core';

import type {
  ModelCacheObserver,
  ModelCacheStats,
  ModelInfo,
  ModelState,
  StuckLease,
  UnloadReason,
} from './interfaces/model-cache-stats.interface.js';
import type { LoadedModel, ModelLoader, ModelLoadRequest } from './interfaces/model-loader.interface.js';

import { ModelLease } from './model-lease.js';
import { ModelCacheClosedError, ModelCapacityError, ModelLoadError, ModelLoadTimeoutError } from './neural.errors.js';
import { Semaphore } from './semaphore.js';

export interface ModelCacheOptions {
  readonly maxModels: number;
  readonly maxBytes: number;
  /** Unused models older than this are unloaded by `cleanup()`; 0 keeps them until capacity needs them. */
  readonly idleTtlMs: number;
  readonly loadConcurrency: number;
  readonly loadTimeoutMs: number;
  /** How long a failed load is answered with its error before the next call tries again; 0 never caches. */
  readonly failedLoadTtlMs: number;
  readonly defaultDevice: string;
  /** A lease held longer than this is reported as stuck. */
  readonly stuckLeaseMs: number;
  /** How long `close()` waits for leases before releasing sessions anyway. */
  readonly drainTimeoutMs: number;
  /** Charged before loading when the loader cannot predict a size. */
  readonly defaultPredictedBytes: number;
  readonly warmUpOnLoad: boolean;
  readonly captureLeaseStacks: boolean;
}

export const MODEL_CACHE_DEFAULTS: ModelCacheOptions = {
  maxModels: 8,
  maxBytes: 512 * 1024 * 1024,
  idleTtlMs: 10 * 60_000,
  loadConcurrency: 2,
  loadTimeoutMs: 60_000,
  failedLoadTtlMs: 30_000,
  defaultDevice: 'cpu',
  stuckLeaseMs: 60_000,
  drainTimeoutMs: 10_000,
  defaultPredictedBytes: 64 * 1024 * 1024,
  warmUpOnLoad: true,
  captureLeaseStacks: false,
};

export interface GetOrLoadOptions {
  readonly device?: string;
  /** Passed to the loader on a load; the options of the load that is running win. */
  readonly options?: Readonly<Record<string, unknown>>;
  /** Keep it loaded until `unpin()`: never evicted for capacity or idleness. */
  readonly pin?: boolean;
}

interface Entry<M> {
  readonly key: string;
  readonly name: string;
  readonly device: string;
  state: ModelState;
  pinned: boolean;
  charged: number;
  /** Past admission: counts against the bounds (a load still waiting for a slot does not). */
  admitted: boolean;
  readonly leases: Set<ModelLease<M>>;
  loaded?: LoadedModel<M>;
  loading?: Promise<void>;
  unloading?: Promise<void>;
  drained?: () => void;
  error?: Error;
  failedUntil?: number;
  loadedAt?: number;
  lastUsedAt: number;
  hits: number;
}

const keyOf = (name: string, device: string): string => `${name}@${device}`;

interface Logger {
  warn(message: string): void;
}

/**
 * Loaded models bounded by count and by bytes. One load per model however many callers ask
 * (single-flight), several models loading at once up to `loadConcurrency`; a predicted size is
 * charged before a load and corrected after it; a model being unloaded stays charged until its
 * session is really released, so the bound is never over-committed. Models are used through
 * leases, and a model is released only when no lease on it is held.
 */
export class ModelCache<M = unknown> {
  readonly options: ModelCacheOptions;
  private readonly entries = new Map<string, Entry<M>>();
  private readonly slots: Semaphore;
  private changed?: { promise: Promise<void>; resolve: () => void };
  /** Bytes of loads that timed out but have not settled: still in memory as far as we know. */
  private orphanBytes = 0;
  private closing = false;
  private readonly counts = {
    hits: 0,
    misses: 0,
    loads: 0,
    loadFailures: 0,
    cachedFailureHits: 0,
    tooLarge: 0,
    largestRejectedBytes: 0,
    earlyEvictions: 0,
    peakChargedBytes: 0,
  };
  private readonly unloads: Record<UnloadReason, number> = {
    capacity: 0,
    idle: 0,
    explicit: 0,
    shutdown: 0,
    'late-load': 0,
    memory: 0,
  };
  /** The memory governor's cap while pressure lasts; `maxBytes` applies when undefined. */
  private growthCap: number | undefined;
  /**
   * Takes a reservation for a load's predicted bytes, held until the load has finished (set by the
   * module when a memory governor is present). Throwing (a refused reservation) fails the load.
   */
  reserveMemory: ((bytes: number, owner: string) => Disposable) | undefined;
  /** Bytes of cached results per model key (`name@device`), filled in by a result cache. */
  resultBytesOf: (key: string) => number = () => 0;

  constructor(
    readonly loader: ModelLoader<M>,
    options: Partial<ModelCacheOptions> = {},
    private readonly observer: ModelCacheObserver = {},
    private readonly logger?: Logger,
  ) {
    this.options = { ...MODEL_CACHE_DEFAULTS, ...options };
    this.slots = new Semaphore(this.options.loadConcurrency);
  }

  /** A lease on the model, loading it first if needed. Release it (or `await using` it) when done. */
  async getOrLoad(name: string, options: GetOrLoadOptions = {}): Promise<ModelLease<M>> {
    const device = options.device ?? this.options.defaultDevice;
    const key = keyOf(name, device);
    for (;;) {
      if (this.closing) throw new ModelCacheClosedError('The model cache is closed', { model: name });
      const entry = this.entries.get(key);
      if (entry === undefined) {
        this.counts.misses++;
        this.observer.miss?.(key);
        const created = this.createEntry(name, device);
        created.loading = this.load(created, options.options);
        await created.loading;
        if (options.pin) created.pinned = true;
        if (created.state === 'ready') return this.lease(created);
        continue;
      }
      switch (entry.state) {
        case 'ready':
          this.counts.hits++;
          entry.hits++;
          this.observer.hit?.(key);
          if (options.pin) entry.pinned = true;
          return this.lease(entry);
        case 'loading':
          await entry.loading;
          break;
        case 'unloading':
          await entry.unloading;
          break;
        case 'failed':
          if (entry.failedUntil !== undefined && Date.now() < entry.failedUntil) {
            this.counts.cachedFailureHits++;
            throw entry.error;
          }
          this.entries.delete(key);
          break;
      }
    }
  }

  /** Runs `fn` with the model under a lease. */
  async withModel<T>(name: string, fn: (model: M) => T | Promise<T>, options?: GetOrLoadOptions): Promise<T> {
    const lease = await this.getOrLoad(name, options);
    try {
      return await fn(lease.model);
    } finally {
      lease.release();
    }
  }

  /** Loads models ahead of traffic (and pins them when asked). */
  async warmUp(models: readonly (string | ({ name: string } & GetOrLoadOptions))[]): Promise<void> {
    await Promise.all(
      models.map(async (model) => {
        const { name, ...options } = typeof model === 'string' ? { name: model } : model;
        (await this.getOrLoad(name, options)).release();
      }),
    );
  }

  pin(name: string, device = this.options.defaultDevice): boolean {
    const entry = this.entries.get(keyOf(name, device));
    if (entry === undefined || entry.state !== 'ready') return false;
    entry.pinned = true;
    return true;
  }

  unpin(name: string, device = this.options.defaultDevice): boolean {
    const entry = this.entries.get(keyOf(name, device));
    if (entry === undefined) return false;
    entry.pinned = false;
    this.signal();
    return true;
  }

  /** Unloads a model once its leases are released; resolves when its session is freed. */
  async unload(name: string, device = this.options.defaultDevice): Promise<boolean> {
    const entry = this.entries.get(keyOf(name, device));
    if (entry === undefined) return false;
    if (entry.state === 'failed') {
      this.entries.delete(entry.key);
      return true;
    }
    if (entry.state === 'loading') await entry.loading;
    if (entry.state === 'ready') this.startUnload(entry, 'explicit');
    await entry.unloading;
    return true;
  }

  /** Periodic work: unloads idle models, forgets expired failures, and returns stuck leases. */
  cleanup(now = Date.now()): { idleUnloaded: number; stuck: StuckLease[] } {
    let idleUnloaded = 0;
    for (const entry of [...this.entries.values()]) {
      if (entry.state === 'failed' && entry.failedUntil !== undefined && now >= entry.failedUntil) {
        this.entries.delete(entry.key);
      } else if (
        entry.state === 'ready' &&
        this.options.idleTtlMs > 0 &&
        !entry.pinned &&
        entry.leases.size === 0 &&
        now - entry.lastUsedAt >= this.options.idleTtlMs
      ) {
        this.startUnload(entry, 'idle');
        idleUnloaded++;
      }
    }
    const stuck = this.stuckLeases(now);
    for (const lease of stuck) {
      this.logger?.warn(
        `Lease on model ${lease.key} held for ${lease.heldMs} ms: its model cannot be unloaded until it is released`,
      );
    }
    return { idleUnloaded, stuck };
  }

  stuckLeases(now = Date.now()): StuckLease[] {
    const out: StuckLease[] = [];
    for (const entry of this.entries.values()) {
      for (const lease of entry.leases) {
        const heldMs = now - lease.acquiredAt;
        if (heldMs >= this.options.stuckLeaseMs) out.push({ key: entry.key, heldMs, stack: lease.stack });
      }
    }
    return out;
  }

  /**
   * Unloads least recently used, unpinned models nobody leases until about `bytes` are freed, and
   * answers the bytes freed once their sessions are released. A leased model is never released under
   * its lease: when that is not enough, leased models are marked to unload when their last lease
   * ends (not counted in the answer). Pinned models stay.
   */
  async shrink(bytes: number): Promise<number> {
    if (bytes <= 0 || this.closing) return 0;
    const freed: Promise<number>[] = [];
    let planned = 0;
    for (const entry of [...this.entries.values()]) {
      if (planned >= bytes) break;
      if (entry.state !== 'ready' || entry.pinned || entry.leases.size > 0) continue;
      const charged = entry.charged;
      planned += charged;
      this.startUnload(entry, 'memory');
      freed.push(entry.unloading!.then(() => charged));
    }
    for (const entry of [...this.entries.values()]) {
      if (planned >= bytes) break;
      if (entry.state !== 'ready' || entry.pinned) continue;
      planned += entry.charged;
      this.startUnload(entry, 'memory'); // its session is released when its last lease ends
    }
    return (await Promise.all(freed)).reduce((sum, charged) => sum + charged, 0);
  }

  /**
   * Caps the charged bytes at `bytes` while memory pressure lasts: loads wait for (or make) room
   * under the cap as under `maxBytes`, and models over it are unloaded now as `shrink` would.
   * `undefined` lifts the cap.
   */
  setGrowthCap(bytes: number | undefined): void {
    this.growthCap = bytes === undefined ? undefined : Math.max(0, bytes);
    const over = this.chargedBytes() - this.byteLimit();
    if (over > 0) void this.shrink(over);
    this.signal();
  }

  /** The governor's cap in force, or `undefined` when `maxBytes` is the bound. */
  get memoryCap(): number | undefined {
    return this.growthCap;
  }

  private byteLimit(): number {
    return this.growthCap === undefined ? this.options.maxBytes : Math.min(this.growthCap, this.options.maxBytes);
  }

  /** Bytes charged against `maxBytes` right now. */
  chargedBytes(): number {
    let total = this.orphanBytes;
    for (const entry of this.entries.values()) total += entry.charged;
    return total;
  }

  models(): ModelInfo[] {
    return [...this.entries.values()].map((entry) => {
      const weightsBytes = entry.loaded?.memory.weightsBytes ?? 0;
      const deviceBytes = entry.loaded?.memory.deviceBytes ?? 0;
      const runtimeBytes = entry.loaded?.memory.runtimeBytes ?? 0;
      const cacheBytes = this.resultBytesOf(entry.key);
      return {
        key: entry.key,
        name: entry.name,
        device: entry.device,
        state: entry.state,
        pinned: entry.pinned,
        leases: entry.leases.size,
        chargedBytes: entry.charged,
        weightsBytes,
        runtimeBytes,
        cacheBytes,
        deviceBytes,
        totalBytes: weightsBytes + runtimeBytes + cacheBytes + deviceBytes,
        hits: entry.hits,
        loadedAt: entry.loadedAt,
        lastUsedAt: entry.lastUsedAt,
        error: entry.error?.message,
      };
    });
  }

  stats(): ModelCacheStats {
    const models = this.models();
    const live = models.filter((m) => m.state !== 'failed');
    const sum = (pick: (m: ModelInfo) => number, list = live): number => list.reduce((acc, m) => acc + pick(m), 0);
    const reads = this.counts.hits + this.counts.misses;
    return {
      models: this.liveCount(),
      maxModels: this.options.maxModels,
      chargedBytes: this.chargedBytes(),
      maxBytes: this.options.maxBytes,
      loadingBytes: sum(
        (m) => m.chargedBytes,
        live.filter((m) => m.state === 'loading'),
      ),
      unloadingBytes: sum(
        (m) => m.chargedBytes,
        live.filter((m) => m.state === 'unloading'),
      ),
      weightsBytes: sum((m) => m.weightsBytes),
      runtimeBytes: sum((m) => m.runtimeBytes),
      cacheBytes: sum((m) => m.cacheBytes),
      deviceBytes: sum((m) => m.deviceBytes),
      hits: this.counts.hits,
      misses: this.counts.misses,
      hitRate: reads === 0 ? 0 : this.counts.hits / reads,
      loads: this.counts.loads,
      loadFailures: this.counts.loadFailures,
      cachedFailureHits: this.counts.cachedFailureHits,
      unloads: { ...this.unloads },
      tooLarge: this.counts.tooLarge,
      largestRejectedBytes: this.counts.largestRejectedBytes,
      peakChargedBytes: this.counts.peakChargedBytes,
      leases: sum((m) => m.leases),
      stuckLeases: this.stuckLeases(),
      earlyEvictions: this.counts.earlyEvictions,
    };
  }

  /**
   * Stops new loads, waits up to `drainTimeoutMs` for leases, then releases every session. Leases
   * still held at the deadline are returned (and their sessions released regardless).
   */
  async close(): Promise<{ forced: StuckLease[] }> {
    this.closing = true;
    this.signal();
    await Promise.allSettled([...this.entries.values()].map((entry) => entry.loading));
    const forced: StuckLease[] = [];
    for (const entry of this.entries.values()) if (entry.state === 'ready') this.startUnload(entry, 'shutdown');
    const pending = [...this.entries.values()].map((entry) => entry.unloading);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.drainTimeoutMs);
      timer.unref();
    });
    const outcome = await Promise.race([Promise.allSettled(pending).then(() => 'drained' as const), deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      forced.push(...this.stuckLeases(Date.now()).map((lease) => ({ ...lease })));
      for (const entry of this.entries.values()) {
        if (entry.leases.size > 0) {
          this.logger?.warn(`Releasing model ${entry.key} with ${entry.leases.size} lease(s) still held at shutdown`);
          entry.drained?.();
        }
      }
      await Promise.allSettled(pending);
    }
    return { forced };
  }

  private createEntry(name: string, device: string): Entry<M> {
    const entry: Entry<M> = {
      key: keyOf(name, device),
      name,
      device,
      state: 'loading',
      pinned: false,
      charged: 0,
      admitted: false,
      leases: new Set(),
      lastUsedAt: Date.now(),
      hits: 0,
    };
    this.entries.set(entry.key, entry);
    return entry;
  }

  private lease(entry: Entry<M>): ModelLease<M> {
    // Re-inserting keeps the map in least-recently-used order.
    this.entries.delete(entry.key);
    this.entries.set(entry.key, entry);
    entry.lastUsedAt = Date.now();
    const stack = this.options.captureLeaseStacks ? new Error('lease taken here').stack : undefined;
    const lease = new ModelLease<M>(
      entry.name,
      entry.device,
      entry.loaded!.model,
      (done) => {
        entry.leases.delete(done);
        entry.lastUsedAt = Date.now();
        if (entry.leases.size === 0) entry.drained?.();
        this.signal();
      },
      stack,
    );
    entry.leases.add(lease);
    return lease;
  }

  private async load(entry: Entry<M>, options?: Readonly<Record<string, unknown>>): Promise<void> {
    const request: ModelLoadRequest = { name: entry.name, device: entry.device, options };
    const release = await this.slots.acquire();
    const started = performance.now();
    try {
      if (this.closing) throw new ModelCacheClosedError('The model cache is closed', { model: entry.name });
      const predicted = (await this.loader.predictBytes?.(request)) ?? this.options.defaultPredictedBytes;
      if (predicted > this.options.maxBytes) {
        this.counts.tooLarge++;
        this.counts.largestRejectedBytes = Math.max(this.counts.largestRejectedBytes, predicted);
        throw new ModelCapacityError(
          `Model ${entry.key} needs about ${predicted} bytes, more than maxBytes (${this.options.maxBytes})`,
          { model: entry.key, predictedBytes: predicted, maxBytes: this.options.maxBytes },
        );
      }
      if (predicted > this.byteLimit()) {
        // Under a memory cap it cannot fit whatever is unloaded: refuse without unloading anything.
        throw new ModelCapacityError(
          `Model ${entry.key} needs about ${predicted} bytes, more than the ${this.byteLimit()} bytes the cache is capped at under memory pressure`,
          { model: entry.key, predictedBytes: predicted, maxBytes: this.byteLimit() },
        );
      }
      await this.admit(entry, predicted);
      // Until the model is loaded its memory is not in the governor's sample: hold it as reserved.
      using _reservation = this.reserveMemory?.(predicted, `neural:load:${entry.key}`);
      const loaded = await this.loadWithTimeout(entry, request);
      if (this.options.warmUpOnLoad) await loaded.warmUp?.();
      entry.loaded = loaded;
      // The correction: from here on the measured size is charged.
      entry.charged = loaded.memory.weightsBytes + (loaded.memory.runtimeBytes ?? 0) + (loaded.memory.deviceBytes ?? 0);
      entry.state = 'ready';
      entry.loadedAt = entry.lastUsedAt = Date.now();
      this.notePeak();
      if (this.chargedBytes() > this.byteLimit()) this.makeRoom(entry, 0, 0);
      this.counts.loads++;
      this.observer.loaded?.(entry.key, performance.now() - started, entry.charged, loaded.resources ?? []);
    } catch (error) {
      entry.charged = 0;
      entry.state = 'failed';
      // Our own errors (capacity, timeout, closed) stay as they are; a runtime's error is wrapped so
      // callers can catch one class, with the runtime's message kept in ours.
      entry.error =
        error instanceof BallastError
          ? error
          : new ModelLoadError(
              `Loading model ${entry.key} failed: ${(error as { message?: string } | undefined)?.message ?? String(error)}`,
              { model: entry.key },
              { cause: error },
            );
      this.counts.loadFailures++;
      this.observer.loadFailed?.(entry.key, error);
      // A closed cache, a refused reservation or no room under a memory cap say nothing about the
      // model: the next call tries again.
      const transient =
        error instanceof ModelCacheClosedError ||
        error instanceof MemoryReservationRefusedError ||
        (error instanceof ModelCapacityError && this.growthCap !== undefined);
      if (this.options.failedLoadTtlMs > 0 && !transient) {
        entry.failedUntil = Date.now() + this.options.failedLoadTtlMs;
      } else {
        this.entries.delete(entry.key);
      }
      throw entry.error;
    } finally {
      release();
      this.signal();
    }
  }

  private async loadWithTimeout(entry: Entry<M>, request: ModelLoadRequest): Promise<LoadedModel<M>> {
    const abort = new AbortController();
    const pending = this.loader.load(request, abort.signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(
          new ModelLoadTimeoutError(`Loading model ${entry.key} took longer than ${this.options.loadTimeoutMs} ms`, {
            model: entry.key,
            loadTimeoutMs: this.options.loadTimeoutMs,
          }),
        );
      }, this.options.loadTimeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([pending, timeout]);
    } catch (error) {
      if (error instanceof ModelLoadTimeoutError) this.disposeLate(entry, pending);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A load that timed out may still finish: its bytes stay charged until it does and is released. */
  private disposeLate(entry: Entry<M>, pending: Promise<LoadedModel<M>>): void {
    const bytes = entry.charged;
    this.orphanBytes += bytes;
    void pending
      .then(async (late) => {
        await late.dispose();
        this.unloads['late-load']++;
      })
      .catch(() => undefined)
      .finally(() => {
        this.orphanBytes -= bytes;
        this.signal();
      });
  }

  /** Waits until `bytes` more and one more model fit, starting unloads as needed. */
  private async admit(entry: Entry<M>, bytes: number): Promise<void> {
    // Room held by leases may never come (a caller holding model A while asking for B in a cache
    // of one): the wait is bounded by the load timeout, and then fails naming the cause.
    const deadline = Date.now() + this.options.loadTimeoutMs;
    for (;;) {
      if (this.closing) throw new ModelCacheClosedError('The model cache is closed', { model: entry.name });
      const used = this.chargedBytes();
      const count = this.liveCount();
      if (used + bytes <= this.byteLimit() && count + 1 <= this.options.maxModels) {
        entry.charged = bytes;
        entry.admitted = true;
        this.notePeak();
        return;
      }
      const stillShort = this.makeRoom(entry, bytes, 1);
      if (stillShort && !this.anythingInFlight(entry)) {
        throw new ModelCapacityError(
          `No room for model ${entry.key}: pinned or leased models hold the cache (${used} of ${this.byteLimit()} bytes${this.growthCap === undefined ? '' : ', capped under memory pressure'}, ${count} of ${this.options.maxModels} models)`,
          { model: entry.key, chargedBytes: used, maxBytes: this.byteLimit(), models: count },
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new ModelCapacityError(
          `No room for model ${entry.key} within ${this.options.loadTimeoutMs} ms: the models to evict are still leased (${this.stats().leases} lease(s) held)`,
          { model: entry.key, chargedBytes: used, maxBytes: this.options.maxBytes, models: count },
        );
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.nextChange(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, left);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
    }
  }

  /** Starts unloading least recently used models until `bytes`/`models` more would fit; true when still short. */
  private makeRoom(except: Entry<M>, bytes: number, models: number): boolean {
    let freeing = 0;
    let leaving = 0;
    for (const entry of this.entries.values()) {
      if (entry.state === 'unloading') {
        freeing += entry.charged;
        leaving++;
      }
    }
    let needBytes = this.chargedBytes() - freeing + bytes - this.byteLimit();
    // `liveCount` counts admitted entries: the one being admitted (models = 1) is not among them yet.
    let needModels = this.liveCount() - leaving + models - this.options.maxModels;
    while (needBytes > 0 || needModels > 0) {
      const victim = this.victim(except);
      if (victim === undefined) return true;
      needBytes -= victim.charged;
      needModels--;
      this.startUnload(victim, 'capacity');
    }
    return false;
  }

  /** Least recently used unpinned ready model, preferring one nobody holds. */
  private victim(except: Entry<M>): Entry<M> | undefined {
    let leased: Entry<M> | undefined;
    for (const entry of this.entries.values()) {
      if (entry === except || entry.state !== 'ready' || entry.pinned) continue;
      if (entry.leases.size === 0) return entry;
      leased ??= entry;
    }
    return leased;
  }

  private startUnload(entry: Entry<M>, reason: UnloadReason): void {
    entry.state = 'unloading';
    const ageMs = Date.now() - (entry.loadedAt ?? Date.now());
    if (reason === 'capacity' && this.options.idleTtlMs > 0 && ageMs < this.options.idleTtlMs)
      this.counts.earlyEvictions++;
    const drained =
      entry.leases.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (entry.drained = resolve));
    entry.unloading = drained
      .then(() => entry.loaded?.dispose())
      .catch((error: unknown) => {
        this.logger?.warn(
          `Releasing model ${entry.key} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      })
      .finally(() => {
        if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
        entry.charged = 0;
        entry.loaded = undefined;
        this.unloads[reason]++;
        this.observer.unloaded?.(entry.key, reason, ageMs);
        this.signal();
      });
  }

  private liveCount(): number {
    let count = 0;
    for (const entry of this.entries.values()) if (entry.state !== 'failed' && entry.admitted) count++;
    return count;
  }

  private anythingInFlight(except: Entry<M>): boolean {
    if (this.orphanBytes > 0) return true;
    for (const entry of this.entries.values()) {
      if (entry !== except && (entry.state === 'unloading' || (entry.state === 'loading' && entry.admitted)))
        return true;
    }
    return false;
  }

  private notePeak(): void {
    this.counts.peakChargedBytes = Math.max(this.counts.peakChargedBytes, this.chargedBytes());
  }

  private nextChange(): Promise<void> {
    this.changed ??= (() => {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      return { promise, resolve };
    })();
    return this.changed.promise;
  }

  private signal(): void {
    const changed = this.changed;
    this.changed = undefined;
    changed?.resolve();
  }
}

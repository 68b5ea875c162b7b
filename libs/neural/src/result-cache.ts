import { createHash } from 'node:crypto';

/** Any named set of tensors: model inputs or outputs. */
export type TensorMap = Readonly<
  Record<string, { readonly data: ArrayBufferView; readonly dims: readonly number[]; readonly type?: string }>
>;

export interface ResultCacheOptions {
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** 0: results never expire (only evicted). */
  readonly ttlMs: number;
}

export interface ResultCacheStats {
  readonly entries: number;
  readonly bytes: number;
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly hits: number;
  readonly misses: number;
  readonly hitRate: number;
  readonly evictions: number;
  readonly expirations: number;
  /** Results larger than `maxBytes` on their own: computed, returned, not kept. */
  readonly rejected: number;
}

interface Entry<V> {
  readonly model: string;
  readonly value: V;
  readonly bytes: number;
  readonly expiresAt: number;
}

/** Rough per-entry overhead of the map slot, key string and entry object. */
const ENTRY_OVERHEAD = 160;

function tensorBytes(tensors: TensorMap): number {
  let bytes = 0;
  for (const tensor of Object.values(tensors)) bytes += tensor.data.byteLength + 8 * tensor.dims.length;
  return bytes;
}

/** `model:sha256(inputs)`: names, types, shapes and the raw bytes of every input, in name order. */
export function resultKey(model: string, inputs: TensorMap): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(inputs).sort()) {
    const t = inputs[name]!;
    hash.update(`${name}|${t.type ?? 'float32'}|${t.dims.join('x')}|`);
    hash.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return `${model}:${hash.digest('base64url')}`;
}

/**
 * Inference results keyed by model + input hash, bounded by entry count and by bytes (its own bound,
 * apart from the model cache's), least recently used out first, optional TTL. Concurrent requests
 * for the same key compute once. Returned results are shared: treat them as read-only.
 */
export class ResultCache<V extends TensorMap = TensorMap> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly inFlight = new Map<string, Promise<V>>();
  private readonly bytesByModel = new Map<string, number>();
  private bytes = 0;
  /** The memory governor's cap while pressure lasts; `maxBytes` applies when undefined. */
  private growthCap: number | undefined;
  private readonly counts = { hits: 0, misses: 0, evictions: 0, expirations: 0, rejected: 0 };

  constructor(readonly options: ResultCacheOptions) {}

  async getOrCompute(model: string, inputs: TensorMap, compute: () => Promise<V>): Promise<V> {
    const key = resultKey(model, inputs);
    const found = this.get(key);
    if (found !== undefined) return found;
    const running = this.inFlight.get(key);
    if (running) return running;
    const promise = compute().then((value) => {
      this.set(key, model, value);
      return value;
    });
    this.inFlight.set(key, promise);
    try {
      return await promise;
    } finally {
      this.inFlight.delete(key);
    }
  }

  get(key: string, now = Date.now()): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || now >= entry.expiresAt) {
      if (entry) this.remove(key, entry, 'expirations');
      this.counts.misses++;
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.counts.hits++;
    return entry.value;
  }

  set(key: string, model: string, value: V): void {
    const bytes = tensorBytes(value) + ENTRY_OVERHEAD + key.length * 2;
    const old = this.entries.get(key);
    if (old) this.remove(key, old);
    const limit = this.byteLimit();
    if (bytes > limit) {
      this.counts.rejected++;
      return;
    }
    while (this.entries.size > 0 && (this.bytes + bytes > limit || this.entries.size + 1 > this.options.maxEntries)) {
      this.evictOldest();
    }
    const expiresAt = this.options.ttlMs > 0 ? Date.now() + this.options.ttlMs : Number.POSITIVE_INFINITY;
    this.entries.set(key, { model, value, bytes, expiresAt });
    this.bytes += bytes;
    this.bytesByModel.set(model, (this.bytesByModel.get(model) ?? 0) + bytes);
  }

  /** Drops every result of a model (e.g. when a new version is deployed). */
  invalidate(model: string): number {
    let removed = 0;
    for (const [key, entry] of [...this.entries]) {
      if (entry.model === model) {
        this.remove(key, entry);
        removed++;
      }
    }
    return removed;
  }

  purgeExpired(now = Date.now()): number {
    let removed = 0;
    for (const [key, entry] of [...this.entries]) {
      if (now >= entry.expiresAt) {
        this.remove(key, entry, 'expirations');
        removed++;
      }
    }
    return removed;
  }

  /** Bytes held now (results plus per-entry overhead), as counted against `maxBytes`. */
  get heldBytes(): number {
    return this.bytes;
  }

  /** Evicts least recently used results until about `bytes` are freed; answers the bytes freed. */
  shrink(bytes: number): number {
    const before = this.bytes;
    while (this.entries.size > 0 && before - this.bytes < bytes) this.evictOldest();
    return before - this.bytes;
  }

  /**
   * Caps the results at `bytes` while memory pressure lasts (evicting down to it now, and at every
   * write as at `maxBytes`); `undefined` lifts the cap.
   */
  setGrowthCap(bytes: number | undefined): void {
    this.growthCap = bytes === undefined ? undefined : Math.max(0, bytes);
    if (this.bytes > this.byteLimit()) this.shrink(this.bytes - this.byteLimit());
  }

  /** The governor's cap in force, or `undefined` when `maxBytes` is the bound. */
  get memoryCap(): number | undefined {
    return this.growthCap;
  }

  bytesOf(model: string): number {
    return this.bytesByModel.get(model) ?? 0;
  }

  clear(): void {
    this.entries.clear();
    this.bytesByModel.clear();
    this.bytes = 0;
  }

  stats(): ResultCacheStats {
    const reads = this.counts.hits + this.counts.misses;
    return {
      entries: this.entries.size,
      bytes: this.bytes,
      maxEntries: this.options.maxEntries,
      maxBytes: this.options.maxBytes,
      hitRate: reads === 0 ? 0 : this.counts.hits / reads,
      ...this.counts,
    };
  }

  private byteLimit(): number {
    return this.growthCap === undefined ? this.options.maxBytes : Math.min(this.growthCap, this.options.maxBytes);
  }

  private evictOldest(): void {
    const [oldestKey, oldest] = this.entries.entries().next().value as [string, Entry<V>];
    this.remove(oldestKey, oldest, 'evictions');
  }

  private remove(key: string, entry: Entry<V>, counter?: 'evictions' | 'expirations'): void {
    this.entries.delete(key);
    this.bytes -= entry.bytes;
    const left = (this.bytesByModel.get(entry.model) ?? 0) - entry.bytes;
    if (left > 0) this.bytesByModel.set(entry.model, left);
    else this.bytesByModel.delete(entry.model);
    if (counter) this.counts[counter]++;
  }
}

import {
  checkTtl,
  resolveCacheSettings,
  type AsyncTTLCacheOptions,
  type CacheSetOptions,
  type ResolvedCacheSettings,
} from './async-ttl-cache.options.js';
import type { CacheStats } from './interfaces/cache-stats.interface.js';
import type { CacheL2, InvalidationMessage, L2Entry } from './l2/cache-l2.interface.js';
import { sizeOfEntry } from './sizing/entry-size.js';
import { sharedClock, type CacheClock } from './store/cache-clock.js';
import { EntryStore } from './store/entry-store.js';

/** A value producer for `wrap`; its result is cached unless it is `undefined`. */
export type CacheLoader<V> = () => V | PromiseLike<V>;

const NOTHING: Promise<undefined> = Promise.resolve(undefined);
const DONE: Promise<void> = Promise.resolve();
const TRUE: Promise<boolean> = Promise.resolve(true);
const FALSE: Promise<boolean> = Promise.resolve(false);

interface Flight<V> {
  promise: Promise<V>;
  /** The tags its result will carry, so `invalidateTags` can stop it from storing a stale value. */
  tags: readonly string[] | undefined;
}

/**
 * A bounded in-memory cache with per-entry TTL, single-flight loading, stale-while-revalidate,
 * prefix and tag invalidation and an optional shared L2. L1 work is synchronous; promises are only
 * for the API and the L2. A hit through `get` allocates nothing: each stored value's resolved
 * promise is made once and reused.
 *
 * @example
 * const cache = new AsyncTTLCache<Ticket>({ name: 'tickets', ttlMs: 30_000, maxEntries: 10_000 });
 * const ticket = await cache.wrap(`ticket:${id}`, () => repo.findOne(id));
 */
export class AsyncTTLCache<V = unknown> {
  readonly name: string;
  readonly settings: ResolvedCacheSettings;
  /** Plain counters, read when metrics are scraped; nothing on the hot path goes through prom-client. */
  readonly counters = {
    sets: 0,
    loads: 0,
    loadErrors: 0,
    loadTimeMs: 0,
    coalesced: 0,
    staleServed: 0,
    l2Hits: 0,
    l2Misses: 0,
    l2Errors: 0,
    remoteInvalidations: 0,
    invalidationAckTimeouts: 0,
  };

  private readonly store: EntryStore<V>;
  private readonly clock: CacheClock;
  private readonly inflight = new Map<string, Flight<V>>();
  private readonly l2Reads = new Map<string, Promise<V | undefined>>();
  private readonly l2: CacheL2<V> | undefined;
  private readonly sizeOf: ((value: V, key: string) => number) | undefined;
  private readonly onLoad: ((durationMs: number, ok: boolean) => void) | undefined;
  private purgeCursor = 0;
  private linkDown = false;
  private closed = false;

  constructor(options: AsyncTTLCacheOptions<V> = {}) {
    this.settings = resolveCacheSettings(options);
    this.name = this.settings.name;
    this.clock = options.clock ?? sharedClock;
    this.sizeOf = options.sizeOf;
    this.onLoad = options.onLoad;
    this.store = new EntryStore<V>({
      maxEntries: this.settings.maxEntries,
      maxBytes: this.settings.maxBytes,
      numShards: this.settings.numShards,
      policy: this.settings.policy,
      clock: this.clock,
      onRemove: options.onRemove,
    });
    this.l2 = options.l2;
    // Until the invalidation link reports in, invalidations could be missed: start degraded.
    this.linkDown = this.l2 !== undefined;
    this.l2?.attach({
      onInvalidate: (message) => this.applyRemote(message),
      onLinkLost: () => this.onLinkLost(),
      onLinkRestored: () => this.onLinkRestored(),
      onAckTimeout: () => this.counters.invalidationAckTimeouts++,
    });
  }

  /** The fresh value, from L1 or else L2; undefined when neither has it. */
  get(key: string): Promise<V | undefined> {
    const hit = this.store.readPromise(key);
    if (hit !== undefined) return hit;
    return this.usableL2() ? this.readThroughL2(key) : NOTHING;
  }

  /** The fresh L1 value, synchronously, for hot paths; counts as a read (hit or miss) like `get`. */
  peek(key: string): V | undefined {
    return this.store.read(key);
  }

  /** The fresh L1 entry with its expiry (ms since the epoch, `Infinity` without TTL); counts a read. */
  peekEntry(key: string): { value: V; expiresAt: number } | undefined {
    const slot = this.store.readSlot(key);
    return slot < 0 ? undefined : { value: this.store.valueAt(slot), expiresAt: this.store.freshUntil(slot) };
  }

  /** Whether a fresh value exists (L1, then L2), without counting a read. */
  has(key: string): Promise<boolean> {
    if (this.store.contains(key)) return TRUE;
    if (!this.usableL2()) return FALSE;
    return this.l2!.has(key).catch((error: unknown) => this.l2Failed(error, false));
  }

  /**
   * Stores a value (in L1 at once; the returned promise settles when L2 has it too, and never
   * rejects: an L2 failure is counted). `undefined` is never stored: it deletes the key.
   */
  set(key: string, value: V, options?: CacheSetOptions): Promise<void> {
    if (value === undefined) return this.delete(key).then(() => undefined);
    if (this.inflight.size !== 0) this.inflight.delete(key);
    if (this.l2Reads.size !== 0) this.l2Reads.delete(key);
    const freshUntil = this.freshUntil(options);
    const staleUntil = freshUntil + this.staleWindow(options);
    this.writeLocal(key, value, freshUntil, staleUntil, options?.tags);
    if (this.l2 === undefined || !this.usableL2()) return DONE;
    return this.l2
      .set(key, { value, freshUntil, staleUntil, tags: options?.tags })
      .catch((error: unknown) => this.l2Failed(error));
  }

  /** Removes a key here, from L2 and from every other instance's L1; true when L1 had it. */
  delete(key: string): Promise<boolean> {
    this.inflight.delete(key);
    this.l2Reads.delete(key);
    const had = this.store.remove(key, 'invalidated');
    if (!this.usableL2()) return had ? TRUE : FALSE;
    return this.l2!.delete([key]).then(
      () => had,
      (error: unknown) => this.l2Failed(error, had),
    );
  }

  async clear(): Promise<void> {
    this.inflight.clear();
    this.l2Reads.clear();
    this.store.clear('invalidated');
    if (this.usableL2()) await this.l2!.clear().catch((error: unknown) => this.l2Failed(error));
  }

  /**
   * The cached value, or the loader's, called once however many callers wait (a failure reaches
   * every waiter once and is not cached). A stale entry within its window is returned at once while
   * one refresh runs in the background.
   */
  wrap(key: string, loader: CacheLoader<V>, options?: CacheSetOptions): Promise<V> {
    const slot = this.store.probe(key);
    if (slot >= 0) {
      if (this.store.lastProbeStale) {
        this.counters.staleServed++;
        if (!this.inflight.has(key)) this.load(key, loader, options).catch(() => undefined);
      }
      return this.store.probedPromise(slot);
    }
    const flight = this.inflight.get(key);
    if (flight !== undefined) {
      this.counters.coalesced++;
      return flight.promise;
    }
    return this.load(key, loader, options);
  }

  /** Same as `wrap` (the name cache-manager users know). */
  getOrSet(key: string, loader: CacheLoader<V>, options?: CacheSetOptions): Promise<V> {
    return this.wrap(key, loader, options);
  }

  /** Keys of fresh L1 entries, optionally only those starting with `prefix`. */
  keys(prefix?: string): string[] {
    return this.store.liveKeys(prefix);
  }

  /** Drops every key starting with `prefix` here, in L2 and on every instance; returns the L1 count. */
  async invalidatePrefix(prefix: string): Promise<number> {
    this.forgetPrefix(prefix);
    const removed = this.store.removePrefix(prefix, 'invalidated');
    if (this.usableL2()) await this.l2!.invalidatePrefix(prefix).catch((error: unknown) => this.l2Failed(error));
    return removed;
  }

  /** Drops every entry tagged with one of `tags`, here, in L2 and on every instance. */
  async invalidateTags(...tags: string[]): Promise<number> {
    const removed = this.dropTagged(tags);
    if (this.usableL2()) await this.l2!.invalidateTags(tags).catch((error: unknown) => this.l2Failed(error));
    return removed;
  }

  /** Purges the expired entries of the next shard; the module calls it on every tick. */
  purgeNextShard(): number {
    const shard = this.purgeCursor;
    this.purgeCursor = (shard + 1) % this.store.shardCount;
    return this.store.purgeShard(shard);
  }

  /** Purges every shard at once. */
  purgeExpired(): number {
    let removed = 0;
    for (let shard = 0; shard < this.store.shardCount; shard++) removed += this.store.purgeShard(shard);
    return removed;
  }

  get size(): number {
    return this.store.count;
  }

  get bytes(): number {
    return this.store.bytes;
  }

  get shardCount(): number {
    return this.store.shardCount;
  }

  /**
   * Evicts about `bytes` of L1 entries by the cache's own policy (what a memory governor asks under
   * pressure); returns the bytes freed, 0 when empty. L2 keeps its copies.
   */
  shrink(bytes: number): number {
    return bytes > 0 ? this.store.evictBytes(bytes) : 0;
  }

  /**
   * Caps L1 at `bytes` while memory pressure lasts (evicting down to it now, and at every write as
   * at `maxBytes`); `undefined` lifts the cap and the cache may grow back to `maxBytes`.
   */
  setGrowthCap(bytes: number | undefined): void {
    this.store.capBytes(bytes);
  }

  /** The governor's cap in force, or `undefined` when `maxBytes` is the bound. */
  get growthCap(): number | undefined {
    return this.store.bytesCap;
  }

  /** Whether the L2 tier is configured and currently answering. */
  get l2Status(): 'none' | 'up' | 'down' {
    if (this.l2 === undefined) return 'none';
    return this.l2.available && !this.linkDown ? 'up' : 'down';
  }

  stats(): CacheStats {
    const c = this.store.counters;
    const { hits, misses } = this.store;
    const reads = hits + misses + c.staleHits;
    return {
      name: this.name,
      policy: this.settings.policy,
      entries: this.store.count,
      bytes: this.store.bytes,
      maxEntries: this.settings.maxEntries,
      maxBytes: this.settings.maxBytes,
      hits,
      misses,
      staleHits: c.staleHits,
      hitRate: reads === 0 ? 0 : (hits + c.staleHits) / reads,
      evictions: { capacity: c.evictionsByCount, bytes: c.evictionsByBytes, memory: c.evictionsByMemory },
      expirations: c.expirations,
      invalidations: c.invalidations,
      rejected: c.rejected,
      inflight: this.inflight.size,
      readShare: this.store.readShare(),
      ...this.counters,
      l2: this.l2Status,
    };
  }

  /** Checks the store's invariants (bounds, links, totals); for tests. */
  verify(): string | undefined {
    return this.store.verify();
  }

  /** Detaches from L2 and drops everything; the cache answers misses afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.l2?.detach();
    this.inflight.clear();
    this.store.clear('invalidated');
  }

  private freshUntil(options: CacheSetOptions | undefined): number {
    const ttlMs = options?.ttlMs === undefined ? this.settings.ttlMs : checkTtl('ttlMs', options.ttlMs);
    return ttlMs === 0 ? Infinity : this.clock.now() + ttlMs;
  }

  private staleWindow(options: CacheSetOptions | undefined): number {
    return options?.staleWhileRevalidateMs === undefined
      ? this.settings.staleWhileRevalidateMs
      : checkTtl('staleWhileRevalidateMs', options.staleWhileRevalidateMs);
  }

  private writeLocal(
    key: string,
    value: V,
    freshUntil: number,
    staleUntil: number,
    tags: readonly string[] | undefined,
  ): boolean {
    this.counters.sets++;
    if (this.linkDown) {
      // Invalidations may be missed while the link is down: nothing may outlive the degraded TTL.
      const cap = this.clock.now() + this.settings.degradedTtlMs;
      freshUntil = Math.min(freshUntil, cap);
      staleUntil = Math.min(staleUntil, cap);
    }
    const size = this.sizeOf ? this.sizeOf(value, key) : sizeOfEntry(key, value, tags);
    return this.store.write(key, value, size, freshUntil, staleUntil, tags);
  }

  private writeShared(key: string, entry: L2Entry<V>): void {
    this.writeLocal(key, entry.value, entry.freshUntil, entry.staleUntil, entry.tags);
  }

  private load(key: string, loader: CacheLoader<V>, options: CacheSetOptions | undefined): Promise<V> {
    const flight: Flight<V> = { promise: undefined as unknown as Promise<V>, tags: options?.tags };
    this.inflight.set(key, flight);
    // The flight leaves the map inside runLoad (try/finally): no `.finally` promise and closure per load.
    flight.promise = this.runLoad(key, loader, options, flight);
    return flight.promise;
  }

  private async runLoad(
    key: string,
    loader: CacheLoader<V>,
    options: CacheSetOptions | undefined,
    flight: Flight<V>,
  ): Promise<V> {
    try {
      if (this.usableL2()) {
        const shared = await this.l2!.get(key).catch((error: unknown) => this.l2Failed(error, undefined));
        if (shared !== undefined && shared.freshUntil > this.clock.now()) {
          this.counters.l2Hits++;
          if (this.inflight.get(key) === flight) this.writeShared(key, shared);
          return shared.value;
        }
        this.counters.l2Misses++;
      }
      const started = performance.now();
      let value: V;
      try {
        value = await loader();
      } catch (error) {
        this.finishLoad(started, false);
        throw error;
      }
      this.finishLoad(started, true);
      // A set, delete or invalidation while loading makes this result stale: return it, do not store it.
      if (value !== undefined && this.inflight.get(key) === flight) {
        const freshUntil = this.freshUntil(options);
        const staleUntil = freshUntil + this.staleWindow(options);
        const tags = options?.tags;
        // No entry object unless L2 takes one: the local write needs only its fields.
        this.writeLocal(key, value, freshUntil, staleUntil, tags);
        if (this.usableL2()) {
          this.l2!.set(key, { value, freshUntil, staleUntil, tags }).catch((error: unknown) => this.l2Failed(error));
        }
      }
      return value;
    } finally {
      if (this.inflight.get(key) === flight) this.inflight.delete(key);
    }
  }

  private finishLoad(started: number, ok: boolean): void {
    const duration = performance.now() - started;
    this.counters.loads++;
    this.counters.loadTimeMs += duration;
    if (!ok) this.counters.loadErrors++;
    this.onLoad?.(duration, ok);
  }

  private readThroughL2(key: string): Promise<V | undefined> {
    const running = this.l2Reads.get(key);
    if (running !== undefined) return running;
    const read = this.l2!.get(key).then(
      (shared) => {
        if (shared === undefined || shared.freshUntil <= this.clock.now()) {
          this.counters.l2Misses++;
          return undefined;
        }
        this.counters.l2Hits++;
        // Still the read of record: no set or invalidation of the key since it started. An old
        // value read before another instance's write must not come back into L1 after the drop
        // this instance acknowledged (read-your-writes).
        if (this.l2Reads.get(key) === read && !this.inflight.has(key)) this.writeShared(key, shared);
        return shared.value;
      },
      (error: unknown) => this.l2Failed(error, undefined),
    );
    this.l2Reads.set(key, read);
    return read.finally(() => {
      if (this.l2Reads.get(key) === read) this.l2Reads.delete(key);
    });
  }

  /** In-flight loads and L2 reads of keys under `prefix` must not store what they bring back. */
  private forgetPrefix(prefix: string): void {
    for (const key of this.inflight.keys()) if (key.startsWith(prefix)) this.inflight.delete(key);
    for (const key of this.l2Reads.keys()) if (key.startsWith(prefix)) this.l2Reads.delete(key);
  }

  private dropTagged(tags: readonly string[]): number {
    for (const key of this.store.tags.keysOf(tags)) this.inflight.delete(key);
    // A read from L2 learns its entry's tags only when it returns: none running may store.
    this.l2Reads.clear();
    // A load whose result will carry one of these tags was started before the invalidation: it must not store.
    for (const [key, flight] of this.inflight) {
      if (flight.tags !== undefined && flight.tags.some((tag) => tags.includes(tag))) this.inflight.delete(key);
    }
    return this.store.removeTagged(tags, 'invalidated');
  }

  private applyRemote(message: InvalidationMessage): void {
    this.counters.remoteInvalidations++;
    if (message.clear) {
      this.inflight.clear();
      this.l2Reads.clear();
      this.store.clear('invalidated');
    } else if (message.prefix !== undefined) {
      this.forgetPrefix(message.prefix);
      this.store.removePrefix(message.prefix, 'invalidated');
    } else if (message.tags !== undefined) {
      this.dropTagged(message.tags);
    } else if (message.keys !== undefined) {
      for (const key of message.keys) {
        this.inflight.delete(key);
        this.l2Reads.delete(key);
        this.store.remove(key, 'invalidated');
      }
    }
  }

  private onLinkLost(): void {
    this.linkDown = true;
    // Entries already here would miss their invalidations too: cap them to the degraded TTL.
    this.store.capExpiry(this.clock.now() + this.settings.degradedTtlMs);
  }

  private onLinkRestored(): void {
    this.linkDown = false;
    // What changed elsewhere while the link was down is unknown: start L1 over.
    this.inflight.clear();
    this.l2Reads.clear();
    this.store.clear('invalidated');
  }

  /**
   * Whether to go to L2 now. An operation that needed L2 while it is down counts as an L2 error:
   * it is skipped at once (no timeout paid) but the outage shows in the metrics.
   */
  private usableL2(): boolean {
    if (this.l2 === undefined) return false;
    if (this.l2.available) return true;
    this.counters.l2Errors++;
    return false;
  }

  private l2Failed<T>(_error: unknown, fallback?: T): T {
    this.counters.l2Errors++;
    return fallback as T;
  }
}

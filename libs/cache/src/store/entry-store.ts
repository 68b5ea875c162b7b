import type { CacheClock } from './cache-clock.js';
import { GhostFilter } from './ghost-filter.js';
import { hashKey } from './key-hash.js';
import { AFTER_READ, FREQ, MAIN, NONE, OCCUPIED, READ, SlotTable, TAGGED, type Shard } from './slot-table.js';
import { TagIndex } from './tag-index.js';

/**
 * `s3-fifo`: a small FIFO for new keys, a main FIFO with reinsertion for keys read again, and a
 * ghost of recent one-hit keys; beats LRU on skewed and scan-mixed traffic and keeps up with it when
 * popularity shifts (docs/cache.md has the measurements). `lru`: strict recency.
 */
export type EvictionPolicy = 's3-fifo' | 'lru';

/**
 * Why an entry left: `capacity` (entry bound), `bytes` (byte bound), `memory` (the memory governor
 * asked the cache to shrink, or its growth cap under pressure), `expired`, `invalidated` (delete,
 * clear, prefix, tag or another instance), `replaced` (a new value for the same key).
 */
export type RemovalReason = 'capacity' | 'bytes' | 'memory' | 'expired' | 'invalidated' | 'replaced';

export interface EntryStoreOptions<V> {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly numShards: number;
  readonly policy: EvictionPolicy;
  readonly clock: CacheClock;
  readonly onRemove?: (key: string, value: V, reason: RemovalReason) => void;
}

export interface EntryStoreCounters {
  staleHits: number;
  evictionsByCount: number;
  evictionsByBytes: number;
  evictionsByMemory: number;
  expirations: number;
  invalidations: number;
  rejected: number;
}

/**
 * The L1 storage: a `Map` from key to slot and a structure of arrays for everything else (value,
 * expiry, size, queue links, flags), so an entry costs no object of its own and a hit is a map
 * lookup, one comparison and one byte write. Slots are split into `numShards` independent segments,
 * each with its own free list, queues and purge pass; the arrays are shared, so sharding adds
 * nothing to the hit path. Both bounds are checked before every insertion and never exceeded.
 */
export class EntryStore<V> extends SlotTable<V> {
  readonly index = new Map<string, number>();
  readonly tags = new TagIndex();
  /** Hot counters live in fields of their own: one increment on the hit path, nothing more. */
  hits = 0;
  misses = 0;
  readonly counters: EntryStoreCounters = {
    staleHits: 0,
    evictionsByCount: 0,
    evictionsByBytes: 0,
    evictionsByMemory: 0,
    expirations: 0,
    invalidations: 0,
    rejected: 0,
  };
  /** Whether the last `probe` found a stale (servable while refreshing) entry rather than a fresh one. */
  lastProbeStale = false;
  /** Whether the entry `probe` last returned had been read before. */
  lastProbeRepeat = false;
  count = 0;
  bytes = 0;
  /** What writes must stay under: `maxBytes`, or less while a memory governor caps the cache. */
  private byteLimit: number;

  /**
   * The key a read last found absent, forgotten as soon as any key is added: a get-then-set (the
   * read-through every caller writes by hand) then skips the write's own lookup, one of the three
   * index `Map` operations a write to a new key pays. Only an insertion can make an absent key
   * present, and every insertion clears this.
   */
  private absentKey: string | undefined;
  private readonly ghost: GhostFilter | undefined;
  private readonly clock: CacheClock;

  constructor(private readonly options: EntryStoreOptions<V>) {
    super(options.maxEntries, options.numShards, options.policy === 'lru');
    this.ghost = this.lru ? undefined : new GhostFilter();
    this.clock = options.clock;
    this.byteLimit = options.maxBytes;
  }

  /** The memory governor's cap (bytes), or `undefined` to go back to `maxBytes`. Evicts down to it now. */
  capBytes(cap: number | undefined): void {
    this.byteLimit = cap === undefined ? this.options.maxBytes : Math.max(0, Math.min(cap, this.options.maxBytes));
    if (this.bytes > this.byteLimit) this.evictBytes(this.bytes - this.byteLimit);
  }

  get bytesCap(): number | undefined {
    return this.byteLimit === this.options.maxBytes ? undefined : this.byteLimit;
  }

  /** Evicts by the policy, round-robin over the shards, until `bytes` are freed or nothing is left. */
  evictBytes(bytes: number): number {
    const before = this.bytes;
    let shard = 0;
    while (before - this.bytes < bytes && this.evictOne(this.shards[shard]!, 'memory')) {
      shard = (shard + 1) % this.numShards;
    }
    return before - this.bytes;
  }

  get maxEntries(): number {
    return this.options.maxEntries;
  }

  get maxBytes(): number {
    return this.options.maxBytes;
  }

  /** A fresh value, counting a hit or a miss. The hot path: keep it small. */
  read(key: string): V | undefined {
    const slot = this.index.get(key);
    if (slot !== undefined && this.expires[slot] > this.clock.now()) {
      this.hits++;
      if (this.lru) this.touchLru(slot);
      else this.flags[slot] = AFTER_READ[this.flags[slot]]!;
      return this.values[slot];
    }
    this.readMiss(key, slot);
    return undefined;
  }

  /**
   * Like `read`, as a promise. From an entry's second read on, its resolved promise is kept and
   * reused, so hot entries are served without allocating (read-once entries do not pay its ~46 bytes).
   */
  readPromise(key: string): Promise<V> | undefined {
    const slot = this.index.get(key);
    if (slot !== undefined && this.expires[slot] > this.clock.now()) {
      this.hits++;
      const flags = this.flags[slot];
      if (this.lru) this.touchLru(slot);
      else this.flags[slot] = AFTER_READ[flags]!;
      return (flags & READ) === 0
        ? Promise.resolve(this.values[slot] as V)
        : (this.promises[slot] ??= Promise.resolve(this.values[slot] as V));
    }
    this.readMiss(key, slot);
    return undefined;
  }

  /**
   * The slot of a fresh or stale-but-servable entry (see `lastProbeStale`), or -1. Counts a hit, a
   * stale hit or a miss.
   */
  probe(key: string): number {
    const slot = this.index.get(key);
    if (slot === undefined) {
      this.misses++;
      this.absentKey = key;
      return NONE;
    }
    const now = this.clock.now();
    if (this.expires[slot] > now) {
      this.hits++;
      this.lastProbeStale = false;
    } else if (this.hardExpires !== undefined && this.hardExpires[slot] > now) {
      this.counters.staleHits++;
      this.lastProbeStale = true;
    } else {
      this.readMiss(key, slot);
      return NONE;
    }
    const flags = this.flags[slot];
    this.lastProbeRepeat = (flags & READ) !== 0;
    if (this.lru) this.touchLru(slot);
    else this.flags[slot] = AFTER_READ[flags]!;
    return slot;
  }

  /** The slot of a fresh entry, or -1; counts a hit or a miss like `read`. */
  readSlot(key: string): number {
    const slot = this.index.get(key);
    if (slot !== undefined && this.expires[slot] > this.clock.now()) {
      this.hits++;
      if (this.lru) this.touchLru(slot);
      else this.flags[slot] = AFTER_READ[this.flags[slot]]!;
      return slot;
    }
    this.readMiss(key, slot);
    return NONE;
  }

  valueAt(slot: number): V {
    return this.values[slot] as V;
  }

  /** The value of the slot `probe` just returned, as a promise (kept from the entry's second read on). */
  probedPromise(slot: number): Promise<V> {
    return this.lastProbeRepeat
      ? (this.promises[slot] ??= Promise.resolve(this.values[slot] as V))
      : Promise.resolve(this.values[slot] as V);
  }

  /** When the entry stops being fresh, in ms since the epoch (`Infinity` without TTL). */
  freshUntil(slot: number): number {
    return this.expires[slot];
  }

  /** Whether a fresh entry exists, without counting or touching it. */
  contains(key: string): boolean {
    const slot = this.index.get(key);
    return slot !== undefined && this.expires[slot] > this.clock.now();
  }

  /**
   * Stores an entry of `size` bytes (key, value and bookkeeping), evicting until both bounds hold.
   * Returns false, storing nothing, when the entry alone is larger than `maxBytes`.
   */
  write(
    key: string,
    value: V,
    size: number,
    freshUntil: number,
    staleUntil: number,
    tags?: readonly string[],
  ): boolean {
    let toMain = false;
    const existing = key === this.absentKey ? undefined : this.index.get(key);
    if (existing !== undefined) {
      // A key written again keeps its standing: it goes back to the main queue if it was there or had been read.
      const flags = this.flags[existing]!;
      toMain = (flags & (MAIN | FREQ)) !== 0;
      if (size <= this.byteLimit && this.bytes + size - this.sizes[existing] <= this.byteLimit) {
        this.rewrite(existing, key, value, size, freshUntil, staleUntil, tags, toMain);
        return true;
      }
      this.removeSlot(existing, 'replaced');
    }
    if (size > this.byteLimit || size > 0xffff_ffff) {
      this.counters.rejected++;
      return false;
    }
    const shard = this.insertionShard();
    while (this.count >= this.options.maxEntries && this.evictOne(shard, 'capacity'));
    const byBytes = this.byteLimit === this.options.maxBytes ? 'bytes' : 'memory';
    while (this.bytes + size > this.byteLimit && this.evictOne(shard, byBytes));
    const hash = this.lru ? 0 : hashKey(key);
    if (!this.lru && !toMain) toMain = this.ghost!.has(hash);

    const slot = this.allocate(shard);
    this.hashes[slot] = hash;
    this.keys[slot] = key;
    this.fill(slot, key, value, size, freshUntil, staleUntil, tags, this.lru || toMain);
    this.append(shard, slot, this.lru || toMain);
    shard.count++;
    shard.bytes += size;
    if (!(this.lru || toMain)) {
      shard.smallCount++;
      shard.smallBytes += size;
    }
    this.count++;
    this.bytes += size;
    this.index.set(key, slot);
    this.absentKey = undefined;
    return true;
  }

  /** A slot's value, expiry, size, queue flag and tags, as a write and a rewrite both store them. */
  private fill(
    slot: number,
    key: string,
    value: V,
    size: number,
    freshUntil: number,
    staleUntil: number,
    tags: readonly string[] | undefined,
    main: boolean,
  ): void {
    this.values[slot] = value;
    this.promises[slot] = undefined;
    this.expires[slot] = freshUntil;
    if (staleUntil > freshUntil && this.hardExpires === undefined) this.hardExpires = Float64Array.from(this.expires);
    if (this.hardExpires !== undefined) this.hardExpires[slot] = staleUntil;
    this.sizes[slot] = size;
    this.flags[slot] = OCCUPIED | (main ? MAIN : 0);
    if (tags !== undefined && tags.length > 0) {
      this.flags[slot] |= TAGGED;
      this.tags.add(key, tags);
    }
  }

  /**
   * A new value for a live key that fits without evicting: updated in its slot, so the index `Map`
   * is not touched (a delete and a set on it cost more than all the rest of a write). The entry goes
   * to the tail of its queue, as if removed and stored again, and starts unread.
   */
  private rewrite(
    slot: number,
    key: string,
    value: V,
    size: number,
    freshUntil: number,
    staleUntil: number,
    tags: readonly string[] | undefined,
    toMain: boolean,
  ): void {
    const shard = this.shards[slot % this.numShards]!;
    const flags = this.flags[slot];
    const wasMain = (flags & MAIN) !== 0;
    const oldSize = this.sizes[slot];
    const oldValue = this.values[slot];
    this.unlink(shard, slot, wasMain);
    if (!wasMain) {
      shard.smallCount--;
      shard.smallBytes -= oldSize;
    }
    const main = this.lru || toMain;
    this.append(shard, slot, main);
    if (!main) {
      shard.smallCount++;
      shard.smallBytes += size;
    }
    shard.bytes += size - oldSize;
    this.bytes += size - oldSize;
    if ((flags & TAGGED) !== 0) this.tags.remove(key);
    this.fill(slot, key, value, size, freshUntil, staleUntil, tags, main);
    this.notifyRemoved(key, oldValue as V, 'replaced');
  }

  remove(key: string, reason: RemovalReason): boolean {
    const slot = this.index.get(key);
    if (slot === undefined) return false;
    this.removeSlot(slot, reason);
    return true;
  }

  /** Removes every entry; returns how many there were. */
  clear(reason: RemovalReason = 'invalidated'): number {
    const removed = this.count;
    if (this.options.onRemove === undefined) {
      this.counters.invalidations += removed;
      this.resetStorage();
      return removed;
    }
    for (const slot of [...this.index.values()]) this.removeSlot(slot, reason);
    return removed;
  }

  /** Keys of fresh entries, optionally only those starting with `prefix`. */
  liveKeys(prefix?: string): string[] {
    const now = this.clock.now();
    const out: string[] = [];
    for (const [key, slot] of this.index) {
      if (this.expires[slot] > now && (prefix === undefined || key.startsWith(prefix))) out.push(key);
    }
    return out;
  }

  /** Makes every entry expire by `until` at the latest (fresh and stale windows alike). */
  capExpiry(until: number): void {
    for (const slot of this.index.values()) {
      if (this.expires[slot] > until) this.expires[slot] = until;
      if (this.hardExpires !== undefined && this.hardExpires[slot] > until) this.hardExpires[slot] = until;
    }
  }

  /** Removes every entry whose key starts with `prefix`. */
  removePrefix(prefix: string, reason: RemovalReason): number {
    const doomed: number[] = [];
    for (const [key, slot] of this.index) if (key.startsWith(prefix)) doomed.push(slot);
    for (const slot of doomed) this.removeSlot(slot, reason);
    return doomed.length;
  }

  removeTagged(tags: readonly string[], reason: RemovalReason): number {
    let removed = 0;
    for (const key of this.tags.keysOf(tags)) if (this.remove(key, reason)) removed++;
    return removed;
  }

  /** Removes the expired entries of one shard: one pass over its slots, nothing else touched. */
  purgeShard(shardId: number): number {
    const now = this.clock.now();
    const hard = this.hardExpires ?? this.expires;
    const flags = this.flags;
    let removed = 0;
    for (let slot = shardId; slot < this.slots; slot += this.numShards) {
      if ((flags[slot] & OCCUPIED) !== 0 && hard[slot] <= now) {
        this.removeSlot(slot, 'expired');
        removed++;
      }
    }
    return removed;
  }

  /** Share of live entries read at least once since they were stored (0–1; 1 when empty). */
  readShare(): number {
    if (this.count === 0) return 1;
    let read = 0;
    for (const slot of this.index.values()) if ((this.flags[slot] & READ) !== 0) read++;
    return read / this.count;
  }

  /** Checks every internal invariant; for tests. Returns the first broken one, or undefined. */
  verify(): string | undefined {
    if (this.count > this.options.maxEntries) return `count ${this.count} > maxEntries ${this.options.maxEntries}`;
    if (this.bytes > this.options.maxBytes) return `bytes ${this.bytes} > maxBytes ${this.options.maxBytes}`;
    if (this.index.size !== this.count) return `index ${this.index.size} != count ${this.count}`;
    const problem = this.verifyShards((key, slot) => this.index.get(key) === slot);
    if (problem !== undefined) return problem;
    let count = 0;
    let bytes = 0;
    for (const shard of this.shards) {
      count += shard.count;
      bytes += shard.bytes;
    }
    if (count !== this.count || bytes !== this.bytes) {
      return `shard totals ${count}/${bytes} != ${this.count}/${this.bytes}`;
    }
    return undefined;
  }

  private readMiss(key: string, slot: number | undefined): void {
    this.misses++;
    if (slot === undefined) {
      this.absentKey = key;
      return;
    }
    const hard = this.hardExpires === undefined ? this.expires[slot] : this.hardExpires[slot];
    if (hard <= this.clock.now()) {
      this.removeSlot(slot, 'expired');
      this.absentKey = key;
    }
  }

  /** Evicts one entry, from `preferred` when it has any; false when the store is empty. */
  private evictOne(preferred: Shard, reason: 'capacity' | 'bytes' | 'memory'): boolean {
    let shard = preferred;
    if (shard.count === 0) {
      const found = this.shards.find((s) => s.count > 0);
      if (found === undefined) return false;
      shard = found;
    }
    if (this.lru) {
      this.removeSlot(shard.mainHead, reason);
      return true;
    }
    const byBytes = reason !== 'capacity';
    for (;;) {
      const smallOver =
        shard.smallHead !== NONE &&
        (shard.mainHead === NONE ||
          (byBytes ? shard.smallBytes * 10 >= shard.bytes : shard.smallCount * 10 >= shard.count));
      if (smallOver) {
        const slot = shard.smallHead;
        const flags = this.flags[slot];
        if ((flags & FREQ) !== 0) {
          // Read while in the small queue: promote it and look again.
          this.unlink(shard, slot, false);
          shard.smallCount--;
          shard.smallBytes -= this.sizes[slot];
          this.flags[slot] = (flags & ~FREQ) | MAIN;
          this.append(shard, slot, true);
          continue;
        }
        this.ghost!.add(this.hashes[slot]! >>> 0, this.count);
        this.removeSlot(slot, reason);
        return true;
      }
      const slot = shard.mainHead;
      const flags = this.flags[slot];
      if ((flags & FREQ) !== 0) {
        // Reinsertion: a read entry gets another lap with one less credit.
        this.flags[slot] = flags - 1;
        this.unlink(shard, slot, true);
        this.append(shard, slot, true);
        continue;
      }
      this.removeSlot(slot, reason);
      return true;
    }
  }

  private removeSlot(slot: number, reason: RemovalReason): void {
    const shard = this.shards[slot % this.numShards]!;
    const flags = this.flags[slot];
    const size = this.sizes[slot];
    const main = (flags & MAIN) !== 0;
    this.unlink(shard, slot, main);
    if (!main) {
      shard.smallCount--;
      shard.smallBytes -= size;
    }
    shard.count--;
    shard.bytes -= size;
    this.count--;
    this.bytes -= size;
    const key = this.keys[slot]!;
    const value = this.values[slot];
    this.index.delete(key);
    this.release(shard, slot);
    if ((flags & TAGGED) !== 0) this.tags.remove(key);
    switch (reason) {
      case 'capacity':
        this.counters.evictionsByCount++;
        break;
      case 'bytes':
        this.counters.evictionsByBytes++;
        break;
      case 'memory':
        this.counters.evictionsByMemory++;
        break;
      case 'expired':
        this.counters.expirations++;
        break;
      case 'invalidated':
        this.counters.invalidations++;
        break;
      default:
        break;
    }
    this.notifyRemoved(key, value as V, reason);
  }

  private notifyRemoved(key: string, value: V, reason: RemovalReason): void {
    if (this.options.onRemove === undefined) return;
    try {
      this.options.onRemove(key, value, reason);
    } catch {
      // A listener's failure must not leave the store half-updated; the entry is already gone.
    }
  }

  private resetStorage(): void {
    this.index.clear();
    this.tags.clear();
    this.resetSlots();
    this.count = 0;
    this.bytes = 0;
  }
}

export const FREQ = 0b0000_0011;
export const MAIN = 0b0000_0100;
/** Read at least once since it was stored (for the memory-efficiency score). */
export const READ = 0b0000_1000;
export const TAGGED = 0b0001_0000;
export const OCCUPIED = 0b1000_0000;
export const NONE = -1;

/** The flags after a read: frequency +1 up to 3, read bit set. One table load instead of branches. */
export const AFTER_READ = new Uint8Array(256).map((_, flags) => ((flags & FREQ) === FREQ ? flags : flags + 1) | READ);

/** One independent segment: its own free list, queues and counts over the shared arrays. */
export interface Shard {
  readonly id: number;
  /** The next never-used slot of this shard (slots are interleaved: shard k owns k, k+N, k+2N...). */
  fresh: number;
  /** Head of the free-slot list, chained through `next`. */
  free: number;
  count: number;
  bytes: number;
  smallHead: number;
  smallTail: number;
  smallCount: number;
  smallBytes: number;
  mainHead: number;
  mainTail: number;
}

function emptyShard(id: number): Shard {
  return {
    id,
    fresh: id,
    free: NONE,
    count: 0,
    bytes: 0,
    smallHead: NONE,
    smallTail: NONE,
    smallCount: 0,
    smallBytes: 0,
    mainHead: NONE,
    mainTail: NONE,
  };
}

/**
 * The storage layout under `EntryStore`: a structure of arrays (key, value, promise, expiry,
 * size, hash, queue links, flags) indexed by slot, split into interleaved shards, with each
 * shard's queues threaded through `next`/`prev`. An entry costs no object of its own; the arrays
 * double as they fill, up to what the entry bound can ever use.
 */
export abstract class SlotTable<V> {
  protected keys: (string | undefined)[] = [];
  protected values: (V | undefined)[] = [];
  protected promises: (Promise<V> | undefined)[] = [];
  /** Fresh until (ms since epoch); `Infinity` for entries without TTL. */
  protected expires = new Float64Array(0);
  /** Servable as stale until; allocated the first time an entry has a stale window. */
  protected hardExpires: Float64Array | undefined;
  protected sizes = new Uint32Array(0);
  /** Key hashes for the ghost filter (s3-fifo only), kept so an eviction does not hash the key again. */
  protected hashes = new Int32Array(0);
  protected next = new Int32Array(0);
  protected prev = new Int32Array(0);
  protected flags = new Uint8Array(0);
  protected slots = 0;

  protected readonly shards: Shard[];
  protected readonly numShards: number;
  protected readonly shardCapacity: number;
  private readonly maxSlots: number;
  private insertCursor = 0;

  constructor(
    maxEntries: number,
    numShards: number,
    /** Strict recency: one queue per shard, moved on every hit. */
    protected readonly lru: boolean,
  ) {
    this.numShards = numShards;
    this.shardCapacity = Math.ceil(maxEntries / numShards);
    this.maxSlots = this.shardCapacity * numShards;
    this.shards = Array.from({ length: numShards }, (_, id) => emptyShard(id));
  }

  get shardCount(): number {
    return this.numShards;
  }

  protected touchLru(slot: number): void {
    const shard = this.shards[slot % this.numShards]!;
    if (shard.mainTail === slot) return;
    this.unlink(shard, slot, true);
    this.append(shard, slot, true);
    this.flags[slot] |= READ;
  }

  /** The next shard in turn that has room, so shards stay balanced and none outgrows its slots. */
  protected insertionShard(): Shard {
    const n = this.numShards;
    for (let i = 0; i < n; i++) {
      const shard = this.shards[(this.insertCursor + i) % n]!;
      if (shard.count < this.shardCapacity) {
        this.insertCursor = (shard.id + 1) % n;
        return shard;
      }
    }
    const shard = this.shards[this.insertCursor]!;
    this.insertCursor = (shard.id + 1) % n;
    return shard;
  }

  protected append(shard: Shard, slot: number, main: boolean): void {
    const tail = main ? shard.mainTail : shard.smallTail;
    this.prev[slot] = tail;
    this.next[slot] = NONE;
    if (tail === NONE) {
      if (main) shard.mainHead = slot;
      else shard.smallHead = slot;
    } else {
      this.next[tail] = slot;
    }
    if (main) shard.mainTail = slot;
    else shard.smallTail = slot;
  }

  protected unlink(shard: Shard, slot: number, main: boolean): void {
    const before = this.prev[slot];
    const after = this.next[slot];
    if (before === NONE) {
      if (main) shard.mainHead = after;
      else shard.smallHead = after;
    } else {
      this.next[before] = after;
    }
    if (after === NONE) {
      if (main) shard.mainTail = before;
      else shard.smallTail = before;
    } else {
      this.prev[after] = before;
    }
  }

  protected allocate(shard: Shard): number {
    let slot = shard.free;
    if (slot !== NONE) {
      shard.free = this.next[slot];
      return slot;
    }
    slot = shard.fresh;
    shard.fresh += this.numShards;
    if (slot >= this.slots) this.grow(slot + 1);
    return slot;
  }

  /** Returns a slot to its shard's free list, dropping what it referenced. */
  protected release(shard: Shard, slot: number): void {
    this.keys[slot] = undefined;
    this.values[slot] = undefined;
    this.promises[slot] = undefined;
    this.flags[slot] = 0;
    this.next[slot] = shard.free;
    shard.free = slot;
  }

  /** Checks that every shard's queues hold exactly its entries; the first problem found, if any. */
  protected verifyShards(isIndexed: (key: string, slot: number) => boolean): string | undefined {
    for (const shard of this.shards) {
      let inQueues = 0;
      let queueBytes = 0;
      for (const head of [shard.smallHead, shard.mainHead]) {
        for (let slot = head; slot !== NONE; slot = this.next[slot]) {
          if (slot % this.numShards !== shard.id) return `slot ${slot} in the queue of shard ${shard.id}`;
          if (!isIndexed(this.keys[slot]!, slot)) return `slot ${slot} not indexed`;
          inQueues++;
          queueBytes += this.sizes[slot];
        }
      }
      if (inQueues !== shard.count) return `shard ${shard.id}: ${inQueues} queued != count ${shard.count}`;
      if (queueBytes !== shard.bytes) return `shard ${shard.id}: ${queueBytes} queued bytes != ${shard.bytes}`;
      if (shard.count > this.shardCapacity) return `shard ${shard.id} over its capacity`;
    }
    return undefined;
  }

  /** Drops every slot and shrinks the arrays back to nothing. */
  protected resetSlots(): void {
    this.keys = [];
    this.values = [];
    this.promises = [];
    this.expires = new Float64Array(0);
    this.hardExpires = undefined;
    this.sizes = new Uint32Array(0);
    this.hashes = new Int32Array(0);
    this.next = new Int32Array(0);
    this.prev = new Int32Array(0);
    this.flags = new Uint8Array(0);
    this.slots = 0;
    this.insertCursor = 0;
    for (let i = 0; i < this.shards.length; i++) this.shards[i] = emptyShard(i);
  }

  /** Doubles the arrays (up to what the entry bound can ever use), so small caches stay small. */
  private grow(needed: number): void {
    let size = Math.max(this.slots * 2, this.numShards * 64, needed);
    // Past half the ceiling, go straight to it instead of doubling into unusable slack.
    if (size * 2 > this.maxSlots) size = this.maxSlots;
    size = Math.max(size, needed);
    this.expires = resized(this.expires, new Float64Array(size));
    if (this.hardExpires !== undefined) this.hardExpires = resized(this.hardExpires, new Float64Array(size));
    this.sizes = resized(this.sizes, new Uint32Array(size));
    if (!this.lru) this.hashes = resized(this.hashes, new Int32Array(size));
    this.next = resized(this.next, new Int32Array(size));
    this.prev = resized(this.prev, new Int32Array(size));
    this.flags = resized(this.flags, new Uint8Array(size));
    this.keys.length = size;
    this.values.length = size;
    this.promises.length = size;
    this.slots = size;
  }
}

function resized<T extends Float64Array | Uint32Array | Int32Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

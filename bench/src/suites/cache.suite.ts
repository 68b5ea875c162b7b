/**
 * @ballast/cache against what an app would use instead, side by side in one process: lru-cache
 * (the fastest plain LRU), tiny-lru, and cache-manager 7's default store (Keyv over a Map, what
 * `CacheModule.register()` of @nestjs/cache-manager gives). Hit paths, writes, sharding cost,
 * memory per entry, the byte bound against the real heap, single-flight, and hit rates on 1M
 * accesses over 100k keys (Zipf 0.9; with scans; with popularity redrawn every 100k accesses).
 * The write path and read-through mixes are in cache.write.ts (also runnable alone: `cache-write`).
 */
import { AsyncTTLCache, createKeyv } from '@ballast/cache';
import { createCache } from 'cache-manager';
import { LRUCache } from 'lru-cache';
import { lru as tinyLru } from 'tiny-lru';

import {
  compareBytes,
  compareOps,
  costResult,
  forceGc,
  opsResult,
  rateResult,
  type BenchContext,
  type BenchResult,
  type BenchSuite,
} from '../harness.js';
import { scanTrace, zipfTrace } from './cache.traces.js';
import { writePath } from './cache.write.js';

const KEYS = 8_192;
const MASK = KEYS - 1;
const keys = Array.from({ length: KEYS }, (_, i) => `ticket:${i}:summary`);
const valueOf = (i: number) => ({ id: i, title: `ticket ${i}`, open: i % 3 === 0 });

// ---------------------------------------------------------------------------------------------
// Traces

function hitRate(
  trace: Int32Array,
  names: readonly string[],
  get: (key: string) => unknown,
  set: (key: string) => void,
) {
  let hits = 0;
  for (let i = 0; i < trace.length; i++) {
    const key = names[trace[i]!]!;
    if (get(key) !== undefined) hits++;
    else set(key);
  }
  return hits / trace.length;
}

async function hitRates(ctx: BenchContext): Promise<BenchResult[]> {
  const length = ctx.quick ? 200_000 : 1_000_000;
  const keyCount = 100_000;
  const shiftEvery = 100_000;
  const traces = {
    'Zipf 0.9': zipfTrace(length, keyCount, 0.9, 1),
    'Zipf 0.9 + scans': scanTrace(length, keyCount, 1),
    [`Zipf 0.9, popularity redrawn every ${shiftEvery / 1000}k`]: zipfTrace(length, keyCount, 0.9, 1, shiftEvery),
  };
  const names = Array.from({ length: keyCount + length }, (_, i) => `k${i}`);
  const out: BenchResult[] = [];
  for (const [trace, accesses] of Object.entries(traces)) {
    for (const capacity of [1_000, 10_000]) {
      ctx.log(`hit rate: ${trace}, capacity ${capacity}`);
      const ours = new AsyncTTLCache<number>({ maxEntries: capacity, ttlMs: 0 });
      const oursRate = hitRate(
        accesses,
        names,
        (k) => ours.peek(k),
        (k) => void ours.set(k, 1),
      );
      const lru = new LRUCache<string, number>({ max: capacity });
      const lruRate = hitRate(
        accesses,
        names,
        (k) => lru.get(k),
        (k) => lru.set(k, 1),
      );
      out.push(
        rateResult({
          case: `hit rate ${trace}, ${length / 1e6}M accesses over 100k keys, capacity ${capacity}`,
          metric: 'hit_rate',
          ours: oursRate,
          peer: 'lru-cache (LRU)',
          peerValue: lruRate,
          note: `s3-fifo, 8 shards; ${((oursRate - lruRate) * 100).toFixed(1)} points over LRU`,
        }),
      );
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Hot paths

async function hotPaths(ctx: BenchContext): Promise<BenchResult[]> {
  const measure = { rounds: ctx.rounds, warmupMs: ctx.warmupMs, timeMs: ctx.timeMs };
  const ours = new AsyncTTLCache<object>({ maxEntries: KEYS * 2, ttlMs: 600_000 });
  const oursUnsharded = new AsyncTTLCache<object>({ maxEntries: KEYS * 2, ttlMs: 600_000, numShards: 1 });
  const lru = new LRUCache<string, object>({ max: KEYS * 2 });
  const lruTtl = new LRUCache<string, object>({ max: KEYS * 2, ttl: 600_000 });
  const tiny = tinyLru<object>(KEYS * 2);
  const managerDefault = createCache();
  const managerOurs = createCache({ stores: [createKeyv(new AsyncTTLCache({ maxEntries: KEYS * 2 }))] });
  for (let i = 0; i < KEYS; i++) {
    const value = valueOf(i);
    void ours.set(keys[i]!, value);
    void oursUnsharded.set(keys[i]!, value);
    lru.set(keys[i]!, value);
    lruTtl.set(keys[i]!, value);
    tiny.set(keys[i]!, value);
    await managerDefault.set(keys[i]!, value, 600_000);
    await managerOurs.set(keys[i]!, value, 600_000);
  }
  const floor = async (key: string) => lru.get(key);
  const tinyWrapper = async (key: string) => tiny.get(key);
  const out: BenchResult[] = [];

  ctx.log('await get (hit)');
  const get = await compareOps(
    {
      ours: (i) => ours.get(keys[i & MASK]!),
      floor: (i) => floor(keys[i & MASK]!),
      tiny: (i) => tinyWrapper(keys[i & MASK]!),
      manager: (i) => managerDefault.get(keys[i & MASK]!),
    },
    measure,
  );
  out.push(
    opsResult({
      case: 'await get, hit',
      ours: get.ours.opsPerSec,
      peer: 'async wrapper over lru-cache get (the await floor)',
      peerValue: get.floor.opsPerSec,
      note: 'target >= 0.9; a hot entry keeps its resolved promise, so a hit allocates nothing',
    }),
    opsResult({
      case: 'await get, hit',
      ours: get.ours.opsPerSec,
      peer: 'cache-manager 7 default (Keyv + Map)',
      peerValue: get.manager.opsPerSec,
      note: 'target >= 3',
    }),
    opsResult({
      case: 'await get, hit',
      ours: get.ours.opsPerSec,
      peer: 'async wrapper over tiny-lru get',
      peerValue: get.tiny.opsPerSec,
    }),
  );

  ctx.log('sync peek (hit)');
  const peek = await compareOps(
    {
      ours: (i) => ours.peek(keys[i & MASK]!),
      unsharded: (i) => oursUnsharded.peek(keys[i & MASK]!),
      lru: (i) => lru.get(keys[i & MASK]!),
      lruTtl: (i) => lruTtl.get(keys[i & MASK]!),
      tiny: (i) => tiny.get(keys[i & MASK]!),
    },
    measure,
  );
  out.push(
    opsResult({
      case: 'sync peek, hit',
      ours: peek.ours.opsPerSec,
      peer: 'lru-cache get',
      peerValue: peek.lru.opsPerSec,
      note: 'target >= 0.9; ours checks a TTL, lru-cache here has none',
    }),
    opsResult({
      case: 'sync peek, hit',
      ours: peek.ours.opsPerSec,
      peer: 'lru-cache get with ttl',
      peerValue: peek.lruTtl.opsPerSec,
    }),
    opsResult({
      case: 'sync peek, hit',
      ours: peek.ours.opsPerSec,
      peer: 'tiny-lru get',
      peerValue: peek.tiny.opsPerSec,
    }),
    opsResult({
      case: 'sync peek, hit: 8 shards',
      ours: peek.ours.opsPerSec,
      peer: 'AsyncTTLCache unsharded',
      peerValue: peek.unsharded.opsPerSec,
      note: 'target >= 0.9 (sharding costs < 10%)',
    }),
  );

  ctx.log('cache-manager over our Keyv store');
  const manager = await compareOps(
    {
      ours: (i) => managerOurs.get(keys[i & MASK]!),
      default: (i) => managerDefault.get(keys[i & MASK]!),
    },
    measure,
  );
  out.push(
    opsResult({
      case: 'cache-manager get, hit',
      ours: manager.ours.opsPerSec,
      peer: 'cache-manager 7 default (Keyv + Map)',
      peerValue: manager.default.opsPerSec,
      note: 'the same cache-manager API over our store: bounded, purged, no serialisation',
    }),
  );

  ctx.log('await set at capacity (every write evicts)');
  const capacity = 4_096;
  const writers = {
    ours: new AsyncTTLCache<object>({ maxEntries: capacity, ttlMs: 600_000 }),
    unsharded: new AsyncTTLCache<object>({ maxEntries: capacity, ttlMs: 600_000, numShards: 1 }),
    lru: new LRUCache<string, object>({ max: capacity, ttl: 600_000 }),
    tiny: tinyLru<object>(capacity, 600_000),
  };
  const set = await compareOps(
    {
      ours: (i) => writers.ours.set(keys[i & MASK]!, valueOf(i)),
      unsharded: (i) => writers.unsharded.set(keys[i & MASK]!, valueOf(i)),
      lru: async (i) => writers.lru.set(keys[i & MASK]!, valueOf(i)),
      tiny: async (i) => writers.tiny.set(keys[i & MASK]!, valueOf(i)),
    },
    measure,
  );
  out.push(
    opsResult({
      case: 'await set with TTL at capacity',
      ours: set.ours.opsPerSec,
      peer: 'async wrapper over lru-cache set (ttl)',
      peerValue: set.lru.opsPerSec,
      note: 'ours also sizes each value for the byte bound',
    }),
    opsResult({
      case: 'await set with TTL at capacity',
      ours: set.ours.opsPerSec,
      peer: 'async wrapper over tiny-lru set (ttl)',
      peerValue: set.tiny.opsPerSec,
    }),
    opsResult({
      case: 'await set at capacity: 8 shards',
      ours: set.ours.opsPerSec,
      peer: 'AsyncTTLCache unsharded',
      peerValue: set.unsharded.opsPerSec,
      note: 'target >= 0.9',
    }),
  );
  return out;
}

// ---------------------------------------------------------------------------------------------
// Memory

/** Values as an app gets them from an upstream: parsed JSON, short enum-like strings shared. */
function ticketRecord(i: number): unknown {
  return JSON.parse(
    `{"id":${i},"title":"Ticket ${i}: printer on fire in room ${i % 977}","status":"${['open', 'pending', 'closed'][i % 3]}",` +
      `"priority":${i % 5},"createdAt":"2024-05-${String((i % 28) + 1).padStart(2, '0')}T10:${String(i % 60).padStart(2, '0')}:00.000Z",` +
      `"assignee":{"id":${i % 50},"name":"agent ${i % 50}"},"labels":["hardware","floor-${i % 9}"],"score":${(i % 1000) / 7}}`,
  );
}

function ticketPage(i: number): unknown {
  return JSON.parse(JSON.stringify(Array.from({ length: 20 }, (_, j) => ticketRecord(i * 20 + j))));
}

async function memory(ctx: BenchContext): Promise<BenchResult[]> {
  const entries = ctx.quick ? 20_000 : 100_000;
  const names = Array.from({ length: entries }, (_, i) => `session:${i}`);
  const out: BenchResult[] = [];

  ctx.log('bytes per entry, TTL on');
  const perEntry = await compareBytes(
    {
      ours: (n) => {
        const cache = new AsyncTTLCache<number>({ maxEntries: n, ttlMs: 600_000 });
        for (let i = 0; i < n; i++) void cache.set(names[i]!, i);
        return cache;
      },
      oursRead: (n) => {
        const cache = new AsyncTTLCache<number>({ maxEntries: n, ttlMs: 600_000 });
        for (let i = 0; i < n; i++) void cache.set(names[i]!, i);
        for (let r = 0; r < 2; r++) for (let i = 0; i < n; i++) void cache.get(names[i]!);
        return cache;
      },
      lru: (n) => {
        const cache = new LRUCache<string, number>({ max: n, ttl: 600_000 });
        for (let i = 0; i < n; i++) cache.set(names[i]!, i);
        return cache;
      },
      manager: async (n) => {
        const cache = createCache();
        for (let i = 0; i < n; i++) await cache.set(names[i]!, i, 600_000);
        return cache;
      },
    },
    entries,
    { rounds: ctx.quick ? 1 : 3, source: 'heap+external' },
  );
  const bookkeeping = 'keys and small-integer values excluded (built beforehand / stored inline): bookkeeping only';
  out.push(
    costResult({
      case: 'bytes per entry with TTL, cache full',
      metric: 'bytes_per_entry',
      ours: perEntry.ours.bytesPerEntry,
      peer: 'lru-cache with ttl',
      peerValue: perEntry.lru.bytesPerEntry,
      note: `target <= 100 B; ${bookkeeping}`,
    }),
    costResult({
      case: 'bytes per entry with TTL, every entry read twice through await get',
      metric: 'bytes_per_entry',
      ours: perEntry.oursRead.bytesPerEntry,
      peer: 'lru-cache with ttl',
      peerValue: perEntry.lru.bytesPerEntry,
      note: 'ours keeps a resolved promise per entry read more than once (what makes a hit allocation-free)',
    }),
    costResult({
      case: 'bytes per entry with TTL, cache full',
      metric: 'bytes_per_entry',
      ours: perEntry.ours.bytesPerEntry,
      peer: 'cache-manager 7 default (Keyv + Map)',
      peerValue: perEntry.manager.bytesPerEntry,
      note: bookkeeping,
    }),
  );

  const maxBytes = (ctx.quick ? 8 : 32) * 1024 * 1024;
  for (const [shape, make] of [
    ['ticket record (parsed JSON, ~300 B)', ticketRecord],
    ['page of 20 ticket records (parsed JSON)', ticketPage],
  ] as const) {
    ctx.log(`byte bound vs heap: ${shape}`);
    // Write twice what fits, values made on the fly: whatever was evicted is garbage, the rest is held.
    const fill = {
      ours: () => {
        let evicted = 0;
        const cache = new AsyncTTLCache<unknown>({
          maxBytes,
          maxEntries: 5_000_000,
          ttlMs: 600_000,
          onRemove: () => void evicted++,
        });
        for (let i = 0; evicted < cache.size || i < 10; i++) void cache.set(`t:${i}`, make(i));
        return cache;
      },
      lru: () => {
        let evicted = 0;
        const cache = new LRUCache<string, object>({
          maxSize: maxBytes,
          sizeCalculation: (value) => JSON.stringify(value).length,
          ttl: 600_000,
          dispose: () => void evicted++,
        });
        for (let i = 0; evicted < cache.size || i < 10; i++) cache.set(`t:${i}`, make(i) as object);
        return cache;
      },
    };
    const heap = await compareBytes(fill, 1, { rounds: ctx.quick ? 1 : 3, source: 'heap+external' });
    const oursRatio = heap.ours.bytesPerEntry / maxBytes;
    const lruRatio = heap.lru.bytesPerEntry / maxBytes;
    out.push(
      costResult({
        case: `byte bound vs real heap: ${shape}`,
        metric: 'bound_error',
        ours: Math.abs(oursRatio - 1),
        peer: 'lru-cache maxSize with JSON.stringify length (the usual recipe)',
        peerValue: Math.abs(lruRatio - 1),
        note: `heap held / maxBytes: ours ${oursRatio.toFixed(3)} (target 0.9-1.1), lru-cache ${lruRatio.toFixed(3)}`,
      }),
    );
  }
  forceGc();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Single-flight

async function singleFlight(ctx: BenchContext): Promise<BenchResult[]> {
  ctx.log('100 concurrent callers on a cold key');
  const slowLoad = async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { computed: true };
  };
  let oursCalls = 0;
  const ours = new AsyncTTLCache<object>();
  await Promise.all(
    Array.from({ length: 100 }, () =>
      ours.wrap('cold', () => {
        oursCalls++;
        return slowLoad();
      }),
    ),
  );
  let naiveCalls = 0;
  const manager = createCache();
  await Promise.all(
    Array.from({ length: 100 }, async () => {
      const hit = await manager.get('cold');
      if (hit !== undefined) return hit;
      naiveCalls++;
      const value = await slowLoad();
      await manager.set('cold', value);
      return value;
    }),
  );
  return [
    costResult({
      case: '100 concurrent callers on one cold key',
      metric: 'loader_calls',
      ours: oursCalls,
      peer: 'get-then-set over cache-manager (what an interceptor does)',
      peerValue: naiveCalls,
      note: 'cache-manager wrap() and lru-cache fetch() also load once; @nestjs/cache-manager CacheInterceptor does not',
    }),
  ];
}

const suite: BenchSuite = {
  name: 'cache',
  description: 'AsyncTTLCache vs lru-cache, tiny-lru and cache-manager 7: hot paths, memory, byte bound, hit rates',
  async run(ctx) {
    return [
      ...(await hotPaths(ctx)),
      ...(await writePath(ctx)),
      ...(await memory(ctx)),
      ...(await singleFlight(ctx)),
      ...(await hitRates(ctx)),
    ];
  },
};

export default suite;

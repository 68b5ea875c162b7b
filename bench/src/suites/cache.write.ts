/**
 * The cache's write path and read-through mixes against lru-cache and cache-manager 7, side by
 * side in one process, each ratio a paired median over interleaved rounds (cache.paired.ts):
 *
 * - `set` with byte bounds on (every write evicts) against lru-cache's `set` with `maxSize` +
 *   `sizeCalculation`;
 * - a get-then-set Zipf mix (get; on a miss, set) over 100k keys at capacity 10k against an async
 *   wrapper over lru-cache, cache-manager 7, and lru-cache called synchronously (ours through `peek`);
 * - the same mix through `wrap()` against the async wrapper with a hand-written in-flight map.
 */
import { AsyncTTLCache } from '@ballast/cache';
import { createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import { LRUCache } from 'lru-cache';

import { compareOps, rateResult, type BenchContext, type BenchResult } from '../harness.js';
import { pairedOpsResult } from './cache.paired.js';
import { zipfTrace } from './cache.traces.js';

/** A record as an app gets it from an upstream: parsed JSON, a dozen flat fields. */
function record(i: number): object {
  return JSON.parse(
    `{"id":${i},"title":"Ticket ${i}: printer on fire","status":"${['open', 'pending', 'closed'][i % 3]}",` +
      `"priority":${i % 5},"assignee":"agent ${i % 50}","createdAt":"2024-05-01T10:00:00.000Z","score":${(i % 1000) / 7}}`,
  ) as object;
}

/** The usual byte-bound recipe of lru-cache users (its README: "sizeCalculation ... return a positive integer"). */
const jsonLength = (value: object, key: string): number => JSON.stringify(value).length + key.length;
/** The cheapest sizeCalculation there is: what lru-cache costs when sizing costs nothing. */
const constantSize = (): number => 1;

async function writes(ctx: BenchContext, measure: Parameters<typeof compareOps>[1]): Promise<BenchResult[]> {
  const capacity = 4_096;
  const keyCount = capacity * 2;
  const keys = Array.from({ length: keyCount }, (_, i) => `ticket:${i}:summary`);
  const values = keys.map((_, i) => record(i));
  const mask = keyCount - 1;
  // Both sides bounded by size so that about `capacity` records fit: every write past the first lap evicts.
  const probe = new AsyncTTLCache<object>({ ttlMs: 600_000 });
  await probe.set(keys[0]!, values[0]!);
  const ours = new AsyncTTLCache<object>({
    maxEntries: keyCount * 4,
    maxBytes: probe.bytes * capacity,
    ttlMs: 600_000,
  });
  const lruJson = new LRUCache<string, object>({
    maxSize: jsonLength(values[0]!, keys[0]!) * capacity,
    sizeCalculation: jsonLength,
    ttl: 600_000,
  });
  const lruConstant = new LRUCache<string, object>({ maxSize: capacity, sizeCalculation: constantSize, ttl: 600_000 });
  ctx.log('set, byte bounds on, at capacity');
  const set = await compareOps(
    {
      ours: (i) => void ours.set(keys[i & mask]!, values[i & mask]!),
      lruJson: (i) => lruJson.set(keys[i & mask]!, values[i & mask]!),
      lruConstant: (i) => lruConstant.set(keys[i & mask]!, values[i & mask]!),
    },
    measure,
  );
  // The same keys written again and again, all of them in the cache: every write replaces a value.
  const live = capacity / 2;
  const liveMask = live - 1;
  const oursLive = new AsyncTTLCache<object>({ maxEntries: capacity, ttlMs: 600_000 });
  const lruLive = new LRUCache<string, object>({ maxSize: capacity, sizeCalculation: constantSize, ttl: 600_000 });
  ctx.log('set, byte bounds on, every key already cached');
  const replace = await compareOps(
    {
      ours: (i) => void oursLive.set(keys[i & liveMask]!, values[(i + live) & mask]!),
      lru: (i) => lruLive.set(keys[i & liveMask]!, values[(i + live) & mask]!),
    },
    measure,
  );
  const note = 'a flat parsed-JSON record per entry, TTL on, every write evicts; ours: default structural sizing';
  return [
    pairedOpsResult({
      case: 'set, byte bounds on',
      ours: set.ours,
      peer: 'lru-cache set, maxSize + sizeCalculation = JSON length',
      peerStats: set.lruJson,
      note,
    }),
    pairedOpsResult({
      case: 'set, byte bounds on',
      ours: set.ours,
      peer: 'lru-cache set, maxSize + sizeCalculation = 1 (sizing for free)',
      peerStats: set.lruConstant,
      note: 'target >= 0.7',
    }),
    pairedOpsResult({
      case: 'set of a cached key (replaces), byte bounds on',
      ours: replace.ours,
      peer: 'lru-cache set, maxSize + sizeCalculation = 1 (sizing for free)',
      peerStats: replace.lru,
      note: 'target >= 0.7; 2,048 keys written in turn, each value a different record from the last',
    }),
  ];
}

interface MixCache {
  get(key: string): Promise<object | undefined>;
  set(key: string, value: object): Promise<unknown>;
}

/** An async face over lru-cache, as an app wraps a sync cache to share an interface with Redis. */
function asyncLru(lru: LRUCache<string, object>): MixCache {
  return {
    get: async (key) => lru.get(key),
    set: async (key, value) => void lru.set(key, value),
  };
}

/** The read-through a user writes by hand over lru-cache: one load per key in flight, like `wrap`. */
function singleFlightLru(lru: LRUCache<string, object>) {
  const inflight = new Map<string, Promise<object>>();
  return async (key: string, load: () => Promise<object>): Promise<object> => {
    const hit = lru.get(key);
    if (hit !== undefined) return hit;
    const running = inflight.get(key);
    if (running !== undefined) return running;
    const loading = (async () => {
      try {
        const value = await load();
        lru.set(key, value);
        return value;
      } finally {
        inflight.delete(key);
      }
    })();
    inflight.set(key, loading);
    return loading;
  };
}

async function mixes(ctx: BenchContext, measure: Parameters<typeof compareOps>[1]): Promise<BenchResult[]> {
  const length = ctx.quick ? 200_000 : 1_000_000;
  const keyCount = 100_000;
  const capacity = 10_000;
  const trace = zipfTrace(length, keyCount, 0.9, 7);
  const names = Array.from({ length: keyCount }, (_, i) => `ticket:${i}`);
  const values = Array.from({ length: 1_024 }, (_, i) => record(i));
  const valueOf = (key: number) => values[key & 1_023]!;
  /** Each target replays the trace from its own cursor, round after round. */
  const cursor = () => {
    let at = 0;
    return () => {
      const key = trace[at]!;
      at = at + 1 === length ? 0 : at + 1;
      return key;
    };
  };
  const hits = { ours: 0, lru: 0, manager: 0, oursWrap: 0, lruWrap: 0, oursSync: 0, lruSync: 0 };
  const calls = { ...hits };

  const ours = new AsyncTTLCache<object>({ maxEntries: capacity, ttlMs: 600_000 });
  const lru = asyncLru(new LRUCache<string, object>({ max: capacity, ttl: 600_000 }));
  // cache-manager 7 bounded the way its docs suggest for memory: Keyv over a Map-like LRU store.
  const manager = createCache({ stores: [new Keyv({ store: new LRUCache<string, object>({ max: capacity }) })] });
  const mix = (name: 'ours' | 'lru' | 'manager', cache: MixCache) => {
    const next = cursor();
    return async () => {
      const key = next();
      calls[name]++;
      const hit = await cache.get(names[key]!);
      if (hit !== undefined) {
        hits[name]++;
        return hit;
      }
      return cache.set(names[key]!, valueOf(key));
    };
  };
  const managerFace: MixCache = {
    get: (key) => manager.get<object>(key).then((v) => v ?? undefined),
    set: (key, value) => manager.set(key, value, 600_000),
  };
  ctx.log(`get-then-set Zipf 0.9 mix, ${length / 1e6}M accesses over 100k keys, capacity 10k`);
  const mixed = await compareOps(
    { ours: mix('ours', ours), lru: mix('lru', lru), manager: mix('manager', managerFace) },
    measure,
  );

  const oursSync = new AsyncTTLCache<object>({ maxEntries: capacity, ttlMs: 600_000 });
  const lruSync = new LRUCache<string, object>({ max: capacity, ttl: 600_000 });
  const syncMix = (
    name: 'oursSync' | 'lruSync',
    get: (k: string) => object | undefined,
    set: (k: string, v: object) => unknown,
  ) => {
    const next = cursor();
    return () => {
      const key = next();
      calls[name]++;
      const hit = get(names[key]!);
      if (hit !== undefined) {
        hits[name]++;
        return hit;
      }
      return set(names[key]!, valueOf(key));
    };
  };
  ctx.log('the same mix, synchronous: peek + set against lru-cache get + set');
  const synced = await compareOps(
    {
      oursSync: syncMix(
        'oursSync',
        (k) => oursSync.peek(k),
        (k, v) => void oursSync.set(k, v),
      ),
      lruSync: syncMix(
        'lruSync',
        (k) => lruSync.get(k),
        (k, v) => lruSync.set(k, v),
      ),
    },
    measure,
  );

  const oursWrap = new AsyncTTLCache<object>({ maxEntries: capacity, ttlMs: 600_000 });
  const lruWrap = singleFlightLru(new LRUCache<string, object>({ max: capacity, ttl: 600_000 }));
  const load = async (key: number): Promise<object> => valueOf(key);
  const wrapMix = (
    name: 'oursWrap' | 'lruWrap',
    wrap: (k: string, loader: () => Promise<object>) => Promise<object>,
  ) => {
    const next = cursor();
    let loads = 0;
    return () => {
      const key = next();
      calls[name]++;
      return wrap(names[key]!, () => {
        loads++;
        hits[name]--;
        return load(key);
      }).then((value) => {
        hits[name]++;
        return value ?? loads;
      });
    };
  };
  ctx.log('the same mix through wrap(): read-through with single-flight');
  const wrapped = await compareOps(
    {
      oursWrap: wrapMix('oursWrap', (k, loader) => oursWrap.wrap(k, loader)),
      lruWrap: wrapMix('lruWrap', lruWrap),
    },
    measure,
  );

  const rate = (name: keyof typeof hits) => hits[name] / calls[name];
  const mixNote = `1 op = get, then set on a miss; ${length / 1e6}M-access Zipf 0.9 trace over 100k keys replayed cyclically, capacity 10k`;
  return [
    pairedOpsResult({
      case: 'get-then-set Zipf mix',
      ours: mixed.ours,
      peer: 'async wrapper over lru-cache',
      peerStats: mixed.lru,
      note: `target >= 1.2; ${mixNote}`,
    }),
    pairedOpsResult({
      case: 'get-then-set Zipf mix',
      ours: mixed.ours,
      peer: 'cache-manager 7 over Keyv over lru-cache (max 10k)',
      peerStats: mixed.manager,
      note: mixNote,
    }),
    rateResult({
      case: 'get-then-set Zipf mix: hit rate during the run',
      metric: 'hit_rate',
      ours: rate('ours'),
      peer: 'async wrapper over lru-cache',
      peerValue: rate('lru'),
    }),
    pairedOpsResult({
      case: 'get-then-set Zipf mix, synchronous',
      ours: synced.oursSync,
      peer: 'lru-cache get + set',
      peerStats: synced.lruSync,
      note: `ours through peek + set (its promise ignored); hit rates ${rate('oursSync').toFixed(3)} vs ${rate('lruSync').toFixed(3)}`,
    }),
    pairedOpsResult({
      case: 'wrap() read-through Zipf mix',
      ours: wrapped.oursWrap,
      peer: 'async wrapper over lru-cache with a hand-written in-flight map',
      peerStats: wrapped.lruWrap,
      note: `target >= 1.2; an async loader; hit rates ${rate('oursWrap').toFixed(3)} vs ${rate('lruWrap').toFixed(3)}`,
    }),
  ];
}

/** Every write-path case; `measure` as compareOps takes it. */
export async function writePath(ctx: BenchContext): Promise<BenchResult[]> {
  const measure = {
    rounds: ctx.quick ? ctx.rounds : Math.max(ctx.rounds, 31),
    warmupMs: ctx.warmupMs,
    timeMs: ctx.quick ? ctx.timeMs : Math.min(ctx.timeMs, 60),
  };
  return [...(await writes(ctx, measure)), ...(await mixes(ctx, measure))];
}

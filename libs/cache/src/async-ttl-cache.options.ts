import { parseOptions } from '@ballast/core';
import { z } from 'zod';

import { DEFAULT_CACHE_NAME } from './cache.constants.js';
import { cacheOptions } from './cache.options.js';
import type { CacheL2 } from './l2/cache-l2.interface.js';
import type { CacheClock } from './store/cache-clock.js';
import type { EvictionPolicy, RemovalReason } from './store/entry-store.js';

/** Options of one `AsyncTTLCache`. Times are milliseconds; defaults are those of `CacheModule`. */
export interface AsyncTTLCacheOptions<V = unknown> {
  /** Shown in metrics, health and reports. */
  readonly name?: string;
  /** Default TTL of an entry; 0 keeps entries until evicted. Default 300,000 (5 min). */
  readonly ttlMs?: number;
  /** Default 100,000. */
  readonly maxEntries?: number;
  /** Default 100 MB. With `sizeOf`, any unit of its own (lru-cache's `maxSize`); at least 1. */
  readonly maxBytes?: number;
  /** Default 8, or `maxEntries` when that is smaller; an explicit value must not exceed `maxEntries`. */
  readonly numShards?: number;
  /** Default `s3-fifo`. */
  readonly policy?: EvictionPolicy;
  /** How long after its TTL `wrap` still serves an entry at once while one refresh runs. Default 0. */
  readonly staleWhileRevalidateMs?: number;
  /** Bytes an entry counts against `maxBytes`; replaces the structural estimate (key, value and bookkeeping). */
  readonly sizeOf?: (value: V, key: string) => number;
  /** Where the time comes from; a coarse shared clock by default. */
  readonly clock?: CacheClock;
  /** Called for every entry that leaves (like lru-cache's `dispose`); errors it throws are ignored. */
  readonly onRemove?: (key: string, value: V, reason: RemovalReason) => void;
  /** Called after each loader call with its duration and outcome (the module feeds a histogram). */
  readonly onLoad?: (durationMs: number, ok: boolean) => void;
  /** A shared second tier (the module builds a Redis one). */
  readonly l2?: CacheL2<V>;
  /** TTL cap of L1 entries while the L2 invalidation link is down. Default 1,000. */
  readonly degradedTtlMs?: number;
}

/** Options per write: override the cache's TTL and stale window, and tag the entry for invalidation. */
export interface CacheSetOptions {
  readonly ttlMs?: number;
  readonly staleWhileRevalidateMs?: number;
  readonly tags?: readonly string[];
}

export interface ResolvedCacheSettings {
  readonly name: string;
  readonly ttlMs: number;
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly numShards: number;
  readonly policy: EvictionPolicy;
  readonly staleWhileRevalidateMs: number;
  readonly degradedTtlMs: number;
}

const specs = cacheOptions.specs;
/** Shards when none are asked for; capped at `maxEntries`, so `maxEntries: 1` needs no `numShards: 1`. */
const DEFAULT_NUM_SHARDS = 8;
const settingsSchema = z
  .object({
    name: z.string().min(1).max(64).default(DEFAULT_CACHE_NAME),
    ttlMs: specs.ttlMs.schema,
    maxEntries: specs.maxEntries.schema,
    maxBytes: specs.maxBytes.schema,
    numShards: specs.numShards.schema,
    policy: specs.policy.schema,
    staleWhileRevalidateMs: specs.staleWhileRevalidateMs.schema,
    degradedTtlMs: specs.l2.degradedTtlMs.schema,
  })
  .refine((s) => s.numShards === undefined || s.numShards <= s.maxEntries, {
    message: 'numShards must not exceed maxEntries',
    path: ['numShards'],
  })
  .transform((s) => ({ ...s, numShards: s.numShards ?? Math.min(DEFAULT_NUM_SHARDS, s.maxEntries) }));

/** Validates a cache's settings with the same messages as the module (module, option, value, allowed). */
export type CacheSettingsInput = Pick<
  AsyncTTLCacheOptions,
  'name' | 'ttlMs' | 'maxEntries' | 'maxBytes' | 'numShards' | 'policy' | 'staleWhileRevalidateMs' | 'degradedTtlMs'
>;

export function resolveCacheSettings(options: CacheSettingsInput): ResolvedCacheSettings {
  const { name, ttlMs, maxEntries, maxBytes, numShards, policy, staleWhileRevalidateMs, degradedTtlMs } = options;
  return parseOptions('AsyncTTLCache', settingsSchema, {
    name,
    ttlMs,
    maxEntries,
    maxBytes,
    numShards,
    policy,
    staleWhileRevalidateMs,
    degradedTtlMs,
  });
}

/** Checks a per-call TTL; a bad one is the caller's bug, so it throws at once. */
export function checkTtl(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a whole number of milliseconds >= 0 (0: no expiry), got ${value}`);
  }
  return value;
}

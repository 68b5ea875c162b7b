import type { EvictionPolicy } from '../store/entry-store.js';

/** A snapshot of one cache's counters and occupancy, as reports and tests read it. */
export interface CacheStats {
  readonly name: string;
  readonly policy: EvictionPolicy;
  readonly entries: number;
  readonly bytes: number;
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly hits: number;
  readonly misses: number;
  /** Reads served a stale value while a refresh ran. */
  readonly staleHits: number;
  /** (hits + staleHits) / reads, 0 before the first read. */
  readonly hitRate: number;
  /** `memory`: asked by the memory governor (shrink, or the growth cap while pressure lasts). */
  readonly evictions: { readonly capacity: number; readonly bytes: number; readonly memory: number };
  readonly expirations: number;
  readonly invalidations: number;
  /** Writes refused because the entry alone was larger than maxBytes. */
  readonly rejected: number;
  /** Loads running now. */
  readonly inflight: number;
  /** Share of live entries read at least once since they were stored. */
  readonly readShare: number;
  readonly sets: number;
  readonly loads: number;
  readonly loadErrors: number;
  readonly loadTimeMs: number;
  /** Callers that joined a load already running instead of starting their own. */
  readonly coalesced: number;
  readonly staleServed: number;
  readonly l2Hits: number;
  readonly l2Misses: number;
  readonly l2Errors: number;
  readonly remoteInvalidations: number;
  /** Writes that stopped waiting for other instances' acknowledgements (read-your-writes) at the timeout. */
  readonly invalidationAckTimeouts: number;
  readonly l2: 'none' | 'up' | 'down';
}

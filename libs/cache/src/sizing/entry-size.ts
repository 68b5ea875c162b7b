import { tagsSize } from '../store/tag-index.js';
import { estimateSize, keySize } from './size-estimator.js';

/**
 * Heap an entry costs beyond its key and value: the index `Map` entry with its share of spare
 * capacity, the slot in each parallel array (key, value, promise, expiry, size, links, flags) and
 * the ghost filter's share. Measured by filling caches to their bound (bench/src/suites/cache.suite.ts).
 */
export const ENTRY_OVERHEAD_BYTES = 150;

/** Bytes an entry counts against `maxBytes` when no `sizeOf` is given. */
export function sizeOfEntry(key: string, value: unknown, tags: readonly string[] | undefined): number {
  return ENTRY_OVERHEAD_BYTES + keySize(key) + estimateSize(value) + tagsSize(tags);
}

import { describe, expect, it } from '@jest/globals';

import type { CacheClock } from './cache-clock.js';
import { EntryStore } from './entry-store.js';

const clock: CacheClock & { time: number } = {
  time: 1_000,
  now() {
    return this.time;
  },
};

function store(policy: 's3-fifo' | 'lru' = 's3-fifo') {
  return new EntryStore<string>({ maxEntries: 4, maxBytes: 10_000, numShards: 2, policy, clock });
}

describe('EntryStore get-then-set', () => {
  it.each(['s3-fifo', 'lru'] as const)('stores a key read absent once however it is written after (%s)', (policy) => {
    const entries = store(policy);
    expect(entries.read('a')).toBeUndefined();
    expect(entries.write('a', 'one', 10, Infinity, Infinity)).toBe(true);
    // The key that was absent is present now: this write must find it and replace it, not add a twin.
    expect(entries.write('a', 'two', 10, Infinity, Infinity)).toBe(true);
    expect(entries.count).toBe(1);
    expect(entries.read('a')).toBe('two');
    expect(entries.verify()).toBeUndefined();
  });

  it('forgets the absent key when another key is written in between, or the absent one expires and returns', () => {
    const entries = store();
    expect(entries.readPromise('a')).toBeUndefined();
    entries.write('b', 'b', 10, Infinity, Infinity);
    entries.write('a', 'one', 10, clock.time + 5, clock.time + 5);
    entries.write('a', 'two', 10, clock.time + 5, clock.time + 5);
    expect(entries.count).toBe(2);
    clock.time += 10;
    // Read past its expiry: removed, so absent again, then stored again once.
    expect(entries.probe('a')).toBe(-1);
    entries.write('a', 'three', 10, Infinity, Infinity);
    entries.write('a', 'four', 10, Infinity, Infinity);
    expect(entries.count).toBe(2);
    expect(entries.read('a')).toBe('four');
    expect(entries.verify()).toBeUndefined();
  });
});

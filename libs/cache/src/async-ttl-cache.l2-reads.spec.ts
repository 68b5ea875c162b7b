import { describe, expect, it } from '@jest/globals';

import { AsyncTTLCache } from './async-ttl-cache.js';
import type { CacheL2, InvalidationMessage, L2Entry, L2Listener } from './l2/cache-l2.interface.js';

/** An L2 whose reads the test answers by hand, so one can be left in flight across an invalidation. */
class HandHeldL2 implements CacheL2<string> {
  readonly available = true;
  listener!: L2Listener;
  private readonly reads: ((entry: L2Entry<string> | undefined) => void)[] = [];

  get(): Promise<L2Entry<string> | undefined> {
    return new Promise((resolve) => this.reads.push(resolve));
  }
  has(): Promise<boolean> {
    return Promise.resolve(false);
  }
  set(): Promise<void> {
    return Promise.resolve();
  }
  delete(): Promise<void> {
    return Promise.resolve();
  }
  invalidatePrefix(): Promise<void> {
    return Promise.resolve();
  }
  invalidateTags(): Promise<void> {
    return Promise.resolve();
  }
  clear(): Promise<void> {
    return Promise.resolve();
  }
  attach(listener: L2Listener): void {
    this.listener = listener;
    listener.onLinkRestored();
  }
  detach(): void {}

  /** Answers the oldest pending read. */
  answer(value: string | undefined): void {
    this.reads.shift()!(value === undefined ? undefined : { value, freshUntil: Infinity, staleUntil: Infinity });
  }
}

function remote(message: Omit<InvalidationMessage, 'origin' | 'cache'>): InvalidationMessage {
  return { origin: 'other-instance', cache: 'tickets', ...message };
}

describe('AsyncTTLCache reads through L2 in flight across an invalidation', () => {
  const invalidations: [string, (l2: HandHeldL2, cache: AsyncTTLCache<string>) => unknown][] = [
    ['another instance deletes the key', (l2) => l2.listener.onInvalidate(remote({ keys: ['ticket:1'] }))],
    ['another instance drops its prefix', (l2) => l2.listener.onInvalidate(remote({ prefix: 'ticket:' }))],
    ['another instance drops a tag', (l2) => l2.listener.onInvalidate(remote({ tags: ['tickets'] }))],
    ['another instance clears the cache', (l2) => l2.listener.onInvalidate(remote({ clear: true }))],
    ['this instance deletes the key', (_l2, cache) => cache.delete('ticket:1')],
  ];

  it.each(invalidations)('when %s, the old value read before it is returned but not stored in L1', async (_, drop) => {
    const l2 = new HandHeldL2();
    const cache = new AsyncTTLCache<string>({ name: 'tickets', l2 });
    const read = cache.get('ticket:1');
    await drop(l2, cache);
    l2.answer('old');
    // The caller asked before the write was acknowledged: the old value is a fair answer to it...
    expect(await read).toBe('old');
    // ...but it must not outlive the drop this instance acknowledged (read-your-writes).
    expect(cache.peek('ticket:1')).toBeUndefined();
    cache.close();
  });

  it('a local set while a read is in flight keeps the value set, not the one read', async () => {
    const l2 = new HandHeldL2();
    const cache = new AsyncTTLCache<string>({ name: 'tickets', l2 });
    const read = cache.get('ticket:1');
    await cache.set('ticket:1', 'new');
    l2.answer('old');
    await read;
    expect(cache.peek('ticket:1')).toBe('new');
    cache.close();
  });

  it('a read started after the invalidation stores what it reads, even while the older one is out', async () => {
    const l2 = new HandHeldL2();
    const cache = new AsyncTTLCache<string>({ name: 'tickets', l2 });
    const before = cache.get('ticket:1');
    l2.listener.onInvalidate(remote({ keys: ['ticket:1'] }));
    const after = cache.get('ticket:1');
    l2.answer('old');
    l2.answer('new');
    expect([await before, await after]).toEqual(['old', 'new']);
    expect(cache.peek('ticket:1')).toBe('new');
    cache.close();
  });

  it('without any invalidation the value read is stored in L1', async () => {
    const l2 = new HandHeldL2();
    const cache = new AsyncTTLCache<string>({ name: 'tickets', l2 });
    const read = cache.get('ticket:1');
    l2.answer('current');
    expect(await read).toBe('current');
    expect(cache.peek('ticket:1')).toBe('current');
    cache.close();
  });
});

import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';

import { BulkheadRejectedError } from '../errors/resilience.errors.js';
import { TimerWheel } from '../timeout/timer-wheel.js';
import { BulkheadPolicy } from './bulkhead.policy.js';

function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('BulkheadPolicy', () => {
  let wheel: TimerWheel;

  beforeEach(() => {
    jest.useFakeTimers({ now: 0 });
    wheel = new TimerWheel(10);
  });

  afterEach(() => {
    wheel.close();
    jest.useRealTimers();
  });

  it('runs maxConcurrent, queues up to maxQueue and rejects the rest with the numbers', async () => {
    const bulkhead = new BulkheadPolicy('db', { maxConcurrent: 2, maxQueue: 2, queueTimeoutMs: 0 }, wheel);
    const g = gate();
    const started: number[] = [];
    const calls = Array.from({ length: 5 }, (_, i) =>
      bulkhead
        .execute(async () => {
          started.push(i);
          await g.promise;
          return i;
        })
        .catch((e: unknown) => e),
    );
    expect(started).toEqual([0, 1]);
    expect(bulkhead.active).toBe(2);
    expect(bulkhead.queued).toBe(2);
    const rejected = await calls[4];
    expect(rejected).toBeInstanceOf(BulkheadRejectedError);
    expect((rejected as BulkheadRejectedError).details).toMatchObject({
      bulkhead: 'db',
      reason: 'queue-full',
      maxConcurrent: 2,
      maxQueue: 2,
      active: 2,
      queued: 2,
    });
    g.open();
    expect(await Promise.all(calls.slice(0, 4))).toEqual([0, 1, 2, 3]);
    expect(started).toEqual([0, 1, 2, 3]); // FIFO
    expect(bulkhead.stats).toMatchObject({ admitted: 4, queuedThenAdmitted: 2, rejectedQueueFull: 1, peakActive: 2 });
  });

  it('rejects a queued call after queueTimeoutMs without ever running it', async () => {
    const bulkhead = new BulkheadPolicy('db', { maxConcurrent: 1, maxQueue: 5, queueTimeoutMs: 100 }, wheel);
    const g = gate();
    const running = bulkhead.execute(() => g.promise);
    const queuedFn = jest.fn(async () => 'never');
    const queued = bulkhead.execute(queuedFn).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(99);
    expect(bulkhead.queued).toBe(1);
    await jest.advanceTimersByTimeAsync(20);
    const error = await queued;
    expect(error).toBeInstanceOf(BulkheadRejectedError);
    expect((error as BulkheadRejectedError).details).toMatchObject({ reason: 'queue-timeout', queueTimeoutMs: 100 });
    expect((error as BulkheadRejectedError).details.waitedMs).toBeGreaterThanOrEqual(100);
    expect(bulkhead.queued).toBe(0);
    g.open();
    await running;
    expect(queuedFn).not.toHaveBeenCalled();
    expect(bulkhead.stats.rejectedQueueTimeout).toBe(1);
    expect(wheel.timers).toBe(0);
  });

  it('frees the slot when a call fails, and clears the queue timer of an admitted waiter', async () => {
    const bulkhead = new BulkheadPolicy('db', { maxConcurrent: 1, maxQueue: 1, queueTimeoutMs: 1_000 }, wheel);
    const first = bulkhead.execute(async () => {
      throw new Error('boom');
    });
    const second = bulkhead.execute(async () => 'second');
    await expect(first).rejects.toThrow('boom');
    await expect(second).resolves.toBe('second');
    expect(bulkhead.active).toBe(0);
    expect(wheel.pending).toBe(0);
  });

  it("drops a queued call whose caller's signal aborts", async () => {
    const bulkhead = new BulkheadPolicy('db', { maxConcurrent: 1, maxQueue: 1, queueTimeoutMs: 0 }, wheel);
    const g = gate();
    const running = bulkhead.execute(() => g.promise);
    const controller = new AbortController();
    const fn = jest.fn(async () => 'x');
    const queued = bulkhead.execute(fn, controller.signal).catch((e: unknown) => e);
    controller.abort(new Error('gone'));
    expect(await queued).toMatchObject({ message: 'gone' });
    expect(bulkhead.queued).toBe(0);
    g.open();
    await running;
    expect(fn).not.toHaveBeenCalled();
  });

  it('rejects queued calls on shutdown', async () => {
    const bulkhead = new BulkheadPolicy('db', { maxConcurrent: 1, maxQueue: 1, queueTimeoutMs: 0 }, wheel);
    const g = gate();
    const running = bulkhead.execute(() => g.promise);
    const queued = bulkhead.execute(async () => 'x').catch((e: unknown) => e);
    bulkhead.shutdown();
    expect(((await queued) as BulkheadRejectedError).details.reason).toBe('shutdown');
    g.open();
    await running;
  });
});

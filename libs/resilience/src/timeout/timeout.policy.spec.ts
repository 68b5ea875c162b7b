import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';

import { TimeoutError } from '../errors/resilience.errors.js';
import { TimerWheel } from './timer-wheel.js';
import { TimeoutPolicy } from './timeout.policy.js';

const hang = () => new Promise<string>(() => undefined);
const after = (ms: number, value: string) => new Promise<string>((resolve) => setTimeout(() => resolve(value), ms));

describe('TimeoutPolicy', () => {
  let wheel: TimerWheel;

  beforeEach(() => {
    jest.useFakeTimers({ now: 0 });
    wheel = new TimerWheel(10);
  });

  afterEach(() => {
    wheel.close();
    jest.useRealTimers();
  });

  it('aborts only its own call, and the signal reaches the function', async () => {
    const policy = new TimeoutPolicy('upstream', 100, wheel);
    const signals: AbortSignal[] = [];
    const first = policy
      .execute(({ signal }) => {
        signals.push(signal);
        return hang();
      })
      .catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(50);
    const second = policy
      .execute(({ signal }) => {
        signals.push(signal);
        return hang();
      })
      .catch((e: unknown) => e);
    const quick = policy.execute(({ signal }) => {
      signals.push(signal);
      return after(20, 'quick');
    });
    await jest.advanceTimersByTimeAsync(20);
    await expect(quick).resolves.toBe('quick');

    await jest.advanceTimersByTimeAsync(40); // t=110: only the first deadline (t=100) has passed
    const firstError = await first;
    expect(firstError).toBeInstanceOf(TimeoutError);
    expect((firstError as TimeoutError).details).toEqual({ timeoutMs: 100, policy: 'upstream' });
    expect(signals[0]!.aborted).toBe(true);
    expect(signals[0]!.reason).toBe(firstError);
    expect(signals[1]!.aborted).toBe(false);
    expect(signals[2]!.aborted).toBe(false);

    await jest.advanceTimersByTimeAsync(50);
    expect(await second).toBeInstanceOf(TimeoutError);
    expect(signals[1]!.aborted).toBe(true);
    expect(policy.stats).toEqual({ calls: 3, timeouts: 2 });
  });

  it('never fires early and at most one resolution late', async () => {
    const policy = new TimeoutPolicy('t', 25, wheel);
    let settled = false;
    const call = policy.execute(() => hang()).catch(() => (settled = true));
    await jest.advanceTimersByTimeAsync(24);
    expect(settled).toBe(false);
    await jest.advanceTimersByTimeAsync(10);
    await call;
    expect(settled).toBe(true);
  });

  it('gives a signal read after the deadline already aborted', async () => {
    const policy = new TimeoutPolicy('t', 10, wheel);
    let late: AbortSignal | undefined;
    const call = policy
      .execute(async (context) => {
        await after(50, 'x');
        late = context.signal;
        return 'done';
      })
      .catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(60);
    expect(await call).toBeInstanceOf(TimeoutError);
    expect(late?.aborted).toBe(true);
  });

  it("passes the caller's abort through to the function's signal", async () => {
    const policy = new TimeoutPolicy('t', 1_000, wheel);
    const caller = new AbortController();
    let seen: AbortSignal | undefined;
    const call = policy.execute(({ signal }) => {
      seen = signal;
      return new Promise<string>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    }, caller.signal);
    caller.abort(new Error('user went away'));
    await expect(call).rejects.toThrow('user went away');
    expect(seen?.aborted).toBe(true);
  });

  it("ends the call at once when the caller aborts, with the caller's reason, even if the function ignores its signal", async () => {
    const policy = new TimeoutPolicy('t', 1_000, wheel);
    const caller = new AbortController();
    let settledAt: number | undefined;
    const call = policy
      .execute(() => hang(), caller.signal)
      .catch((e: unknown) => {
        settledAt = Date.now();
        return e;
      });
    await jest.advanceTimersByTimeAsync(30);
    caller.abort();
    await jest.advanceTimersByTimeAsync(1);
    expect(settledAt).toBe(30);
    const error = await call;
    expect(error).not.toBeInstanceOf(TimeoutError);
    expect((error as Error).name).toBe('AbortError');
    expect(policy.stats.timeouts).toBe(0);
    expect(wheel.pending).toBe(0);

    const gone = new AbortController();
    gone.abort(new Error('user went away'));
    let ran = false;
    await expect(policy.execute(() => (ran = true), gone.signal)).rejects.toThrow('user went away');
    expect(ran).toBe(false);
  });

  it('uses one timer per deadline slot, not one per call, and none once the deadlines passed', async () => {
    const policy = new TimeoutPolicy('t', 1_000, wheel);
    const armed = jest.spyOn(globalThis, 'setTimeout');
    const calls = Array.from({ length: 1_000 }, (_, i) => policy.execute(() => after(5, String(i))));
    expect(wheel.pending).toBe(1_000);
    expect(wheel.timers).toBe(1);
    await jest.advanceTimersByTimeAsync(5);
    await Promise.all(calls);
    expect(wheel.pending).toBe(0);
    // 100 calls one after another at t=5: one more slot (deadline 1005), its timer reused, not re-armed per call.
    for (let i = 0; i < 100; i++) await policy.execute(async () => i);
    expect(armed.mock.calls.filter(([, ms]) => (ms as number) > 5).map(([, ms]) => ms)).toEqual([1_000, 1_005]);
    armed.mockRestore();
    expect(wheel.timers).toBe(2);
    await jest.advanceTimersByTimeAsync(1_010);
    expect(wheel.timers).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('rounds long deadlines to 1% of the delay, short ones to the resolution', async () => {
    const long = new TimeoutPolicy('long', 10_000, wheel);
    let late = false;
    const call = long.execute(() => hang()).catch(() => (late = true));
    await jest.advanceTimersByTimeAsync(9_999);
    expect(late).toBe(false);
    await jest.advanceTimersByTimeAsync(101);
    await call;
    expect(late).toBe(true);
  });

  it('resolves with what a synchronous function returns', async () => {
    const policy = new TimeoutPolicy('t', 100, wheel);
    await expect(policy.execute(() => 42)).resolves.toBe(42);
    await expect(
      policy.execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(wheel.pending).toBe(0);
  });

  it('rejects a timeout that is not a whole number of ms', () => {
    expect(() => new TimeoutPolicy('t', 0, wheel)).toThrow(/>= 1/);
  });
});

import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';

import { BreakerOpenError, TimeoutError } from '../errors/resilience.errors.js';
import { ResilienceEvents, type BreakerStateEvent } from '../resilience.events.js';
import { TimerWheel } from '../timeout/timer-wheel.js';
import { Breaker, type BreakerHost } from './breaker.js';
import type { BreakerConfig } from './breaker.options.js';
import { RotationClock } from './rotation-clock.js';

const BASE: BreakerConfig = {
  failureRateThreshold: 50,
  slowCallRateThreshold: 100,
  slowCallDurationMs: 60_000,
  windowType: 'count',
  windowSize: 10,
  windowDurationMs: 10_000,
  windowBuckets: 10,
  minimumCalls: 10,
  openDurationMs: 1_000,
  halfOpenTrials: 3,
  halfOpenSuccesses: 3,
  healthImpact: 'degraded',
  shareState: false,
};

class NotFound extends Error {}

function deferred<T = string>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('Breaker', () => {
  let host: BreakerHost;
  let events: BreakerStateEvent[];
  const breakers: Breaker[] = [];

  function breaker(overrides: Partial<BreakerConfig> = {}): Breaker {
    const created = new Breaker('dep', { ...BASE, ...overrides }, host);
    breakers.push(created);
    return created;
  }

  const ok = (b: Breaker) => b.execute(async () => 'ok');
  const fail = (b: Breaker, error: unknown = new Error('boom')) =>
    b
      .execute(async () => {
        throw error;
      })
      .catch((e: unknown) => e);

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
    const resilienceEvents = new ResilienceEvents();
    events = [];
    resilienceEvents.on('breaker.state', (event) => events.push(event));
    host = {
      clock: () => performance.now(),
      wheel: new TimerWheel(10),
      rotation: new RotationClock(1_000),
      engineBuckets: 10,
      events: resilienceEvents,
    };
  });

  afterEach(() => {
    for (const b of breakers.splice(0)) b.shutdown();
    host.wheel.close();
    jest.useRealTimers();
  });

  describe('count-based window', () => {
    it('decides on exactly the last N calls', async () => {
      const b = breaker({ windowSize: 5, minimumCalls: 5, failureRateThreshold: 100 });
      await ok(b);
      for (let i = 0; i < 4; i++) await fail(b);
      // [S F F F F]: 80% < 100%, still closed. A cumulative count would stay below 100% for ever.
      expect(b.state).toBe('closed');
      await fail(b);
      // The success has left the window of five: [F F F F F] = 100%.
      expect(b.state).toBe('open');
      expect(events.at(-1)).toMatchObject({ from: 'closed', to: 'open', reason: 'failure-rate', failureRate: 100 });
    });

    it('lets old failures age out', async () => {
      const b = breaker({ windowSize: 4, minimumCalls: 4, failureRateThreshold: 50 });
      await fail(b);
      await ok(b);
      await ok(b);
      await ok(b); // [F S S S] 25%
      await fail(b); // [S S S F] 25%: the first failure left
      expect(b.snapshot()).toMatchObject({ bufferedCalls: 4, failedCalls: 1, failureRate: 25 });
      expect(b.state).toBe('closed');
    });
  });

  describe('time-based window', () => {
    it('forgets calls older than the window', async () => {
      const b = breaker({ windowType: 'time', windowDurationMs: 1_000, windowBuckets: 10, minimumCalls: 3 });
      await fail(b);
      await fail(b);
      jest.advanceTimersByTime(1_100);
      await ok(b);
      await ok(b);
      await fail(b);
      // 1 failure of 3 in the last second; counting the two old failures would be 3 of 5 and open it.
      expect(b.snapshot()).toMatchObject({ bufferedCalls: 3, failedCalls: 1 });
      expect(b.state).toBe('closed');
      await fail(b);
      expect(b.state).toBe('open');
    });

    it('ages calls out one slice at a time', async () => {
      const b = breaker({ windowType: 'time', windowDurationMs: 1_000, windowBuckets: 4, minimumCalls: 100 });
      await ok(b); // slice at t=0
      jest.advanceTimersByTime(500);
      await fail(b); // slice at t=500
      jest.advanceTimersByTime(600); // t=1100: the first slice (0..250) has aged out, the second not
      expect(b.snapshot()).toMatchObject({ bufferedCalls: 1, failedCalls: 1 });
      jest.advanceTimersByTime(500);
      expect(b.snapshot()).toMatchObject({ bufferedCalls: 0 });
    });
  });

  it('does not open below the minimum number of calls', async () => {
    const b = breaker({ windowSize: 100, minimumCalls: 10 });
    for (let i = 0; i < 9; i++) await fail(b);
    expect(b.state).toBe('closed');
    expect(b.snapshot().failureRate).toBe(100);
    await fail(b);
    expect(b.state).toBe('open');
  });

  it('caps the minimum at the window size for count windows', async () => {
    const b = breaker({ windowSize: 3, minimumCalls: 50 });
    for (let i = 0; i < 3; i++) await fail(b);
    expect(b.state).toBe('open');
  });

  it('opens on the slow-call rate even when every call succeeds', async () => {
    const b = breaker({ minimumCalls: 4, windowSize: 4, slowCallDurationMs: 100, slowCallRateThreshold: 75 });
    const slow = () =>
      b.execute(
        () =>
          new Promise<string>((resolve) => {
            setTimeout(() => resolve('late'), 150);
          }),
      );
    await ok(b);
    for (let i = 0; i < 2; i++) {
      const call = slow();
      await jest.advanceTimersByTimeAsync(150);
      await expect(call).resolves.toBe('late');
    }
    expect(b.state).toBe('closed'); // 2 of 3 slow, fewer than the minimum
    const third = slow();
    await jest.advanceTimersByTimeAsync(150);
    await third;
    expect(b.state).toBe('open');
    expect(events.at(-1)).toMatchObject({ reason: 'slow-call-rate', slowCallRate: 75, failureRate: 0 });
  });

  it('rejects while open without calling the function, then half-opens after openDurationMs', async () => {
    const b = breaker({ openDurationMs: 5_000 });
    b.forceOpen();
    const fn = jest.fn(async () => 'x');
    const error = await b.execute(fn).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BreakerOpenError);
    expect((error as BreakerOpenError).details).toMatchObject({ breaker: 'dep', state: 'open', retryAfterMs: 5_000 });
    expect(fn).not.toHaveBeenCalled();
    expect(b.engine.opened).toBe(true);
    jest.advanceTimersByTime(4_999);
    expect(events.at(-1)?.to).toBe('open');
    jest.advanceTimersByTime(1);
    // The engine's reset timer moved it to half-open without any call or state read.
    expect(events.at(-1)).toMatchObject({ from: 'open', to: 'half-open', reason: 'open-duration-elapsed' });
    expect(b.engine.closed).toBe(true);
  });

  it('admits exactly N trial calls out of 64 concurrent callers when half-open', async () => {
    const b = breaker({ halfOpenTrials: 4, halfOpenSuccesses: 4 });
    b.forceOpen();
    jest.advanceTimersByTime(1_000);
    const gate = deferred();
    const fn = jest.fn(() => gate.promise);
    const calls = Array.from({ length: 64 }, () =>
      b.execute(fn).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
    );
    expect(fn).toHaveBeenCalledTimes(4);
    gate.resolve('fine');
    const outcomes = await Promise.all(calls);
    const rejected = outcomes.filter((o) => 'error' in o);
    expect(outcomes.filter((o) => 'value' in o)).toHaveLength(4);
    expect(rejected).toHaveLength(60);
    for (const r of rejected) {
      expect((r as { error: BreakerOpenError }).error).toBeInstanceOf(BreakerOpenError);
      expect((r as { error: BreakerOpenError }).error.details.state).toBe('half-open');
    }
    expect(b.state).toBe('closed');
  });

  it('closes after M successful trials and reopens once M is out of reach', async () => {
    const b = breaker({ halfOpenTrials: 4, halfOpenSuccesses: 3 });
    b.forceOpen();
    jest.advanceTimersByTime(1_000);
    await ok(b);
    await fail(b);
    expect(b.state).toBe('half-open');
    await fail(b); // two failures of four: three successes can no longer happen
    expect(b.state).toBe('open');

    jest.advanceTimersByTime(1_000);
    await ok(b);
    await fail(b);
    await ok(b);
    expect(b.state).toBe('half-open');
    await ok(b);
    expect(b.state).toBe('closed');
  });

  describe("halfOpenDecision: 'resilience4j'", () => {
    const r4j = (overrides: Partial<BreakerConfig> = {}) =>
      breaker({
        halfOpenDecision: 'resilience4j',
        halfOpenTrials: 4,
        halfOpenSuccesses: 3,
        failureRateThreshold: 50,
        slowCallDurationMs: 100,
        slowCallRateThreshold: 50,
        ...overrides,
      });
    const slowOk = (b: Breaker) =>
      b.execute(() => new Promise<string>((resolve) => setTimeout(() => resolve('slow'), 150)));

    it('decides only once every permitted trial completed, not after the first successes', async () => {
      const b = r4j();
      b.forceOpen();
      jest.advanceTimersByTime(1_000);
      const last = deferred();
      const fourth = b.execute(() => last.promise);
      await ok(b);
      await ok(b);
      await ok(b);
      expect(b.state).toBe('half-open'); // the early rule would have closed here
      last.resolve('ok');
      await fourth;
      expect(b.state).toBe('closed');
    });

    it('does not reopen after two fast failures while trials run: 2 of 4 failed is the 50% threshold', async () => {
      const b = r4j({ failureRateThreshold: 60 });
      b.forceOpen();
      jest.advanceTimersByTime(1_000);
      await fail(b);
      await fail(b);
      expect(b.state).toBe('half-open'); // the early rule reopens here
      await ok(b);
      await ok(b);
      expect(b.state).toBe('closed'); // 50% failed < 60%
    });

    it('counts a slow success towards the slow-call rate, not as a failure', async () => {
      const b = r4j({ slowCallRateThreshold: 100 });
      b.forceOpen();
      jest.advanceTimersByTime(1_000);
      const slow = [slowOk(b), slowOk(b)];
      await ok(b);
      await ok(b);
      await jest.advanceTimersByTimeAsync(200);
      await Promise.all(slow);
      expect(b.state).toBe('closed'); // 50% slow < 100%; the early rule counts them as failed trials

      b.forceOpen();
      jest.advanceTimersByTime(1_000);
      const allSlow = [slowOk(b), slowOk(b), slowOk(b), slowOk(b)];
      await jest.advanceTimersByTimeAsync(200);
      await Promise.all(allSlow);
      expect(b.state).toBe('open');
      expect(events.at(-1)).toMatchObject({ from: 'half-open', to: 'open', reason: 'half-open-slow-call-rate' });
    });
  });

  describe("operator states (Resilience4j's FORCED_OPEN, DISABLED, METRICS_ONLY)", () => {
    it('holdOpen rejects every call, past any open duration, until reset', async () => {
      const b = breaker();
      b.holdOpen();
      let ran = false;
      const refused = await b.execute(async () => (ran = true)).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(BreakerOpenError);
      expect((refused as BreakerOpenError).details).toMatchObject({ state: 'forced-open', retryAfterMs: 1_000 });
      jest.advanceTimersByTime(60_000);
      expect(b.state).toBe('forced-open');
      await expect(ok(b)).rejects.toBeInstanceOf(BreakerOpenError);
      expect(ran).toBe(false);
      b.reset();
      await expect(ok(b)).resolves.toBe('ok');
      expect(events.map((e) => e.to)).toEqual(['forced-open', 'closed']);
    });

    it('disable lets every call through and never opens; reset restores the rules', async () => {
      const b = breaker({ windowSize: 2, minimumCalls: 2 });
      b.disable();
      for (let i = 0; i < 10; i++) await fail(b);
      expect(b.state).toBe('disabled');
      expect(b.snapshot()).toMatchObject({ bufferedCalls: 0 });
      await expect(ok(b)).resolves.toBe('ok');
      b.reset();
      await fail(b);
      await fail(b);
      expect(b.state).toBe('open');
    });

    it('metricsOnly records the rates and lets every call through, never opening', async () => {
      const b = breaker({ windowSize: 4, minimumCalls: 4 });
      b.metricsOnly();
      for (let i = 0; i < 4; i++) await fail(b);
      expect(b.state).toBe('metrics-only');
      expect(b.snapshot()).toMatchObject({ state: 'metrics-only', failureRate: 100, bufferedCalls: 4 });
      await expect(ok(b)).resolves.toBe('ok');
    });

    it('is not left by a remote automatic open or close, only by a remote reset or operator state', () => {
      const b = breaker();
      b.disable();
      expect(b.applyRemote('open', 1_000)).toBe(false);
      expect(b.state).toBe('disabled');
      expect(b.applyRemote('forced-open')).toBe(true);
      expect(b.state).toBe('forced-open');
      expect(b.applyRemote('closed')).toBe(false);
      expect(b.applyRemote('reset')).toBe(true);
      expect(b.state).toBe('closed');
    });
  });

  it('counts a result recordResult rejects as a failure, and still returns it', async () => {
    const b = breaker({ windowSize: 2, minimumCalls: 2, recordResult: (r) => (r as { status: number }).status >= 500 });
    await expect(b.execute(async () => ({ status: 503 }))).resolves.toEqual({ status: 503 });
    await expect(b.execute(async () => ({ status: 200 }))).resolves.toEqual({ status: 200 });
    expect(b.snapshot()).toMatchObject({ failedCalls: 1, bufferedCalls: 2, state: 'open' });
    expect(b.stats.failures).toBe(1);
  });

  it('never lets a call admitted before the breaker opened close it', async () => {
    const b = breaker({ windowSize: 2, minimumCalls: 2, halfOpenTrials: 1, halfOpenSuccesses: 1 });
    const stale = deferred();
    const staleCall = b.execute(() => stale.promise);
    await fail(b);
    await fail(b);
    expect(b.state).toBe('open');
    jest.advanceTimersByTime(1_000);
    expect(b.state).toBe('half-open');
    stale.resolve('late success');
    await expect(staleCall).resolves.toBe('late success');
    // The success belongs to the closed period before the open: it must not close the breaker.
    expect(b.state).toBe('half-open');
    expect(b.snapshot().halfOpenTrialsInFlight).toBe(0);
    await ok(b);
    expect(b.state).toBe('closed');
  });

  it('never counts a trial admitted in an earlier half-open period (generation counter)', async () => {
    const b = breaker({ halfOpenTrials: 2, halfOpenSuccesses: 2 });
    b.forceOpen();
    jest.advanceTimersByTime(1_000);
    const slowTrial = deferred();
    const staleTrial = b.execute(() => slowTrial.promise);
    await fail(b); // second trial fails: two successes are out of reach, open again
    expect(b.state).toBe('open');
    jest.advanceTimersByTime(1_000);
    expect(b.state).toBe('half-open');
    slowTrial.resolve('from the previous half-open period');
    await staleTrial;
    await ok(b);
    // Only one success belongs to this half-open period; counting the stale one would close it.
    expect(b.state).toBe('half-open');
    await ok(b);
    expect(b.state).toBe('closed');
  });

  it('never lets a stale failure reopen a breaker that closed meanwhile', async () => {
    const b = breaker({ windowSize: 1, minimumCalls: 1, halfOpenTrials: 1, halfOpenSuccesses: 1 });
    const stale = deferred();
    const staleCall = b.execute(() => stale.promise).catch((e: unknown) => e);
    await fail(b);
    jest.advanceTimersByTime(1_000);
    await ok(b);
    expect(b.state).toBe('closed');
    stale.reject(new Error('late failure'));
    await staleCall;
    expect(b.state).toBe('closed');
    expect(b.stats.failures).toBe(2); // still counted in the metrics
  });

  it('does not count errors the classifier ignores', async () => {
    const b = breaker({ minimumCalls: 2, windowSize: 2, ignoreErrors: [NotFound] });
    for (let i = 0; i < 10; i++) await fail(b, new NotFound('no such item'));
    expect(b.state).toBe('closed');
    expect(b.snapshot().bufferedCalls).toBe(0);
    expect(b.stats.ignored).toBe(10);
    await fail(b);
    await fail(b);
    expect(b.state).toBe('open');
  });

  it('returns the trial slot of an ignored error in half-open', async () => {
    const b = breaker({ halfOpenTrials: 1, halfOpenSuccesses: 1, ignoreErrors: [NotFound] });
    b.forceOpen();
    jest.advanceTimersByTime(1_000);
    await fail(b, new NotFound());
    expect(b.state).toBe('half-open');
    await ok(b);
    expect(b.state).toBe('closed');
  });

  it('counts only recordErrors as failures when they are given, the rest as successes', async () => {
    class Upstream extends Error {}
    const b = breaker({ minimumCalls: 2, windowSize: 2, recordErrors: [Upstream] });
    await fail(b, new TypeError('bug in the caller'));
    await fail(b, new TypeError('bug in the caller'));
    expect(b.state).toBe('closed');
    expect(b.snapshot().failedCalls).toBe(0);
    await fail(b, new Upstream());
    await fail(b, new Upstream());
    expect(b.state).toBe('open');
  });

  it('lets a classify function decide', async () => {
    const b = breaker({
      minimumCalls: 1,
      windowSize: 1,
      classify: (error) => ((error as { status?: number }).status === 503 ? 'failure' : 'ignore'),
    });
    await fail(b, Object.assign(new Error('not found'), { status: 404 }));
    expect(b.state).toBe('closed');
    await fail(b, Object.assign(new Error('unavailable'), { status: 503 }));
    expect(b.state).toBe('open');
  });

  it('times a call out on its own deadline and counts it as a failure', async () => {
    const b = breaker({ timeoutMs: 50, minimumCalls: 1, windowSize: 1 });
    let seen: AbortSignal | undefined;
    const call = b
      .execute(({ signal }) => {
        seen = signal;
        return new Promise<string>(() => undefined);
      })
      .catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(60);
    const error = await call;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBe(error);
    expect(b.stats.timeouts).toBe(1);
    expect(b.state).toBe('open');
  });

  it("ends a timed call at once on the caller's abort, and counts it neither way", async () => {
    const b = breaker({ timeoutMs: 1_000, minimumCalls: 1, windowSize: 1 });
    const caller = new AbortController();
    const call = b
      .execute(() => new Promise<string>(() => undefined), { signal: caller.signal })
      .catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(30);
    caller.abort(new Error('client closed the request'));
    await jest.advanceTimersByTimeAsync(1);
    expect(await call).toEqual(new Error('client closed the request'));
    expect(b.stats.ignored).toBe(1);
    expect(b.stats.failures + b.stats.timeouts).toBe(0);
    expect(b.state).toBe('closed');
  });

  it('keeps the opossum engine as executor only: its statistics see the calls, it never opens by itself', async () => {
    const b = breaker({ windowSize: 100, minimumCalls: 100 });
    for (let i = 0; i < 50; i++) await fail(b);
    expect(b.engine.opened).toBe(false);
    expect(b.engine.stats.fires).toBe(50);
    expect(b.engine.stats.failures).toBe(50);
    expect(b.engine.stats.latencyTimes).toEqual([]);
  });

  it("rotates the engine's statistics on the shared clock, with no timer of its own", async () => {
    const b = breaker({ windowSize: 100, minimumCalls: 100 });
    for (let i = 0; i < 5; i++) await ok(b);
    await fail(b);
    expect(b.engine.stats).toMatchObject({ fires: 6, successes: 5, failures: 1 });
    for (let i = 0; i < 9; i++) host.rotation.emit('rotate');
    expect(b.engine.stats.fires).toBe(6); // still inside the 10 buckets
    host.rotation.emit('rotate');
    expect(b.engine.stats.fires).toBe(0);
    await ok(b);
    expect(b.engine.stats).toMatchObject({ fires: 1, successes: 1 });
    expect(host.rotation.listenerCount('rotate')).toBe(1);
  });

  it('follows a remote close after its remotely caused open went half-open', async () => {
    const b = breaker({ openDurationMs: 1_000 });
    b.applyRemote('open', 500);
    jest.advanceTimersByTime(500);
    expect(b.state).toBe('half-open');
    expect(b.applyRemote('closed')).toBe(true);
    expect(b.state).toBe('closed');
  });

  it('applies remote transitions, and closes remotely only what was opened remotely', async () => {
    const b = breaker();
    expect(b.applyRemote('open', 2_000)).toBe(true);
    expect(events.at(-1)).toMatchObject({ to: 'open', origin: 'remote', openForMs: 2_000 });
    expect(b.applyRemote('closed')).toBe(true);
    expect(b.state).toBe('closed');
    b.forceOpen();
    expect(b.applyRemote('closed')).toBe(false);
    expect(b.state).toBe('open');
  });

  it('detaches from the rotation clock on shutdown and rejects calls after', async () => {
    const b = breaker();
    expect(host.rotation.running).toBe(true);
    b.shutdown();
    expect(host.rotation.running).toBe(false);
    await expect(ok(b)).rejects.toBeInstanceOf(BreakerOpenError);
  });
});

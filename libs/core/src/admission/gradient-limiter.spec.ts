import { describe, expect, it } from '@jest/globals';

import { GradientLimiter, type GradientLimiterSettings } from './gradient-limiter.js';

const SETTINGS: GradientLimiterSettings = {
  initialLimit: 100,
  minLimit: 20,
  maxLimit: 1_000,
  rttTolerance: 2,
  smoothing: 0.2,
  windowMs: 100,
  minWindowSamples: 10,
  longWindow: 3_000,
};

/** A limiter on a hand-driven clock. */
function limiterAt(settings: Partial<GradientLimiterSettings> = {}) {
  let now = 0;
  const limiter = new GradientLimiter({ ...SETTINGS, ...settings }, () => now);
  /**
   * One window: `concurrency` requests are offered together, all admitted ones take `rttMs` (or
   * what the function makes of the number admitted: a CPU-bound service is slower the more runs at
   * once). Returns how many were admitted.
   */
  const window = (concurrency: number, rttMs: number | ((admitted: number) => number)) => {
    const starts: number[] = [];
    for (let i = 0; i < concurrency; i++) {
      const start = limiter.tryAcquire();
      if (start !== undefined) starts.push(start);
    }
    const rtt = typeof rttMs === 'function' ? rttMs(starts.length) : rttMs;
    now += Math.max(rtt, SETTINGS.windowMs);
    // Each request measured rttMs, whatever the window's length (a window closes at its
    // minWindowSamples-th release, so the rest of this batch opens the next one).
    for (let i = 0; i < starts.length; i++) limiter.release(now - rtt);
    return starts.length;
  };
  return { limiter, window, advance: (ms: number) => (now += ms) };
}

describe('GradientLimiter', () => {
  it('admits up to the limit, sheds beyond it, and admits again once a slot frees', () => {
    const { limiter } = limiterAt({ initialLimit: 3, minLimit: 1 });
    const started = [limiter.tryAcquire(), limiter.tryAcquire(), limiter.tryAcquire()];
    expect(started.every((s) => s !== undefined)).toBe(true);
    expect(limiter.tryAcquire()).toBeUndefined();
    expect(limiter.snapshot()).toMatchObject({ inflight: 3, admitted: 3, shed: 1 });
    limiter.release(started[0]!);
    expect(limiter.tryAcquire()).toBeDefined();
    expect(limiter.inflight).toBe(3);
  });

  it('grows while latency stays at its baseline and the limit is in use, never past maxLimit', () => {
    const { limiter, window } = limiterAt({ maxLimit: 150 });
    const before = limiter.limit;
    for (let i = 0; i < 5; i++) window(limiter.limit, 10);
    expect(limiter.limit).toBeGreaterThan(before);
    for (let i = 0; i < 500; i++) window(limiter.limit, 10);
    expect(limiter.limit).toBe(150);
  });

  it('holds the limit while the app uses less than half of it (app-limited)', () => {
    const { limiter, window } = limiterAt();
    for (let i = 0; i < 50; i++) window(40, 10);
    expect(limiter.limit).toBe(100);
  });

  it('shrinks when latency climbs past the tolerance over its baseline, down to minLimit and no lower', () => {
    const { limiter, window } = limiterAt();
    for (let i = 0; i < 20; i++) window(limiter.limit, 10);
    const steady = limiter.limit;
    // 3x the baseline with a tolerance of 2: gradient 2/3, so each window takes a share off.
    window(limiter.limit, 30);
    window(limiter.limit, 30);
    expect(limiter.limit).toBeLessThan(steady);
    for (let i = 0; i < 100; i++) window(limiter.limit, 1_000);
    expect(limiter.limit).toBe(20);
  });

  it('tolerates latency within rttTolerance times the baseline', () => {
    const { limiter, window } = limiterAt();
    for (let i = 0; i < 20; i++) window(limiter.limit, 10);
    const steady = limiter.limit;
    for (let i = 0; i < 5; i++) window(limiter.limit, 19);
    expect(limiter.limit).toBeGreaterThanOrEqual(steady);
  });

  it('grows back after an overload ends, the baseline following latency down', () => {
    const { limiter, window } = limiterAt();
    for (let i = 0; i < 20; i++) window(limiter.limit, 10);
    for (let i = 0; i < 300; i++) window(limiter.limit, 500);
    const overloaded = limiter.limit;
    for (let i = 0; i < 100; i++) window(limiter.limit, 10);
    expect(limiter.limit).toBeGreaterThan(overloaded * 2);
    expect(limiter.snapshot().longRttMs).toBeLessThan(100);
  });

  it('does not recompute before a window has both its time and its samples', () => {
    const { limiter, advance } = limiterAt({ minWindowSamples: 10 });
    const starts = Array.from({ length: 60 }, () => limiter.tryAcquire()!);
    advance(1_000);
    for (const start of starts.slice(0, 9)) limiter.release(start);
    expect(limiter.snapshot().shortRttMs).toBe(0);
    limiter.release(starts[9]!);
    expect(limiter.snapshot().shortRttMs).toBe(1_000);
  });

  it('frees the slot of an aborted request without taking its latency as a sample', () => {
    const { limiter, advance } = limiterAt({ minWindowSamples: 1 });
    const start = limiter.tryAcquire()!;
    advance(5_000);
    limiter.release(start, false);
    expect(limiter.inflight).toBe(0);
    expect(limiter.snapshot().shortRttMs).toBe(0);
  });

  it('does not learn its baseline from idle windows, so the first real load is not read as an overload', () => {
    const { limiter, window } = limiterAt();
    // A quiet minute: one or two requests at a time, 2 ms each.
    for (let i = 0; i < 600; i++) window(2, 2);
    expect(limiter.snapshot().longRttMs).toBe(0);
    // Then 100 callers on a CPU-bound service: 100x the idle latency, and nothing wrong with it.
    for (let i = 0; i < 50; i++) window(100, 200);
    expect(limiter.limit).toBeGreaterThanOrEqual(100);
    expect(limiter.snapshot().longRttMs).toBeCloseTo(200, 5);
    expect(limiter.snapshot().shed).toBe(0);
  });

  it('on a starved CPU-bound service (latency grows with every request in flight) admits a moderate load whole', () => {
    const { limiter, window } = limiterAt();
    const cpuBound = (admitted: number) => 3 * admitted; // 3 ms of CPU each, one core
    for (let i = 0; i < 100; i++) window(1, cpuBound);
    let admitted = 0;
    for (let i = 0; i < 300; i++) admitted += window(100, cpuBound);
    expect(admitted).toBe(300 * 100);
    expect(limiter.snapshot().shed).toBe(0);
  });

  it('under a surge sheds only what would push latency past the tolerance over the busy baseline', () => {
    const { limiter, window } = limiterAt();
    const cpuBound = (admitted: number) => 3 * admitted;
    for (let i = 0; i < 100; i++) window(100, cpuBound);
    const baseline = limiter.snapshot().longRttMs;
    expect(baseline).toBeCloseTo(300, 5);
    let admittedInSurge = 0;
    for (let i = 0; i < 200; i++) admittedInSurge = window(5_000, cpuBound);
    expect(limiter.snapshot().shed).toBeGreaterThan(0);
    // Admitted latency settles near rttTolerance x baseline, with the growth step as slack; the
    // baseline itself follows the busy latency up only slowly (a 3000-window average).
    expect(cpuBound(admittedInSurge)).toBeLessThanOrEqual(2 * limiter.snapshot().longRttMs * 1.1);
    expect(limiter.snapshot().longRttMs).toBeLessThan(baseline * 1.2);
    expect(limiter.limit).toBeGreaterThan(100);
  });

  it('keeps its busy baseline through a quiet spell (no pull-down from idle windows)', () => {
    const { limiter, window } = limiterAt();
    for (let i = 0; i < 50; i++) window(limiter.limit, 200);
    // The first quiet window still holds the tail of the last busy batch (released after it opened).
    window(2, 2);
    const busy = limiter.snapshot().longRttMs;
    expect(busy).toBeGreaterThan(150);
    for (let i = 0; i < 1_000; i++) window(2, 2);
    expect(limiter.snapshot().longRttMs).toBe(busy);
  });

  it('never goes below a floor set from the pools, and starts at it when the initial limit is lower', () => {
    const { limiter, window } = limiterAt({ minLimit: 210, initialLimit: 100 });
    expect(limiter.limit).toBe(210);
    expect(limiter.snapshot().minLimit).toBe(210);
    for (let i = 0; i < 20; i++) window(limiter.limit, 10);
    for (let i = 0; i < 200; i++) window(limiter.limit, 5_000);
    expect(limiter.limit).toBe(210);
  });
});

import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';

import { BreakerOpenError, RetryResultError, TimeoutError } from '../errors/resilience.errors.js';
import { ResilienceEvents } from '../resilience.events.js';
import type { RetryConfig } from './retry.options.js';
import { RetryPolicy } from './retry.policy.js';

const BASE: RetryConfig = {
  maxAttempts: 4,
  backoff: 'exponential',
  initialDelayMs: 100,
  maxDelayMs: 10_000,
  multiplier: 2,
  jitter: 0,
  honourRetryAfter: true,
  maxRetryAfterMs: 60_000,
};

const networkError = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
const httpError = (status: number, headers: Record<string, string> = {}) =>
  Object.assign(new Error(`HTTP ${status}`), { status, headers });

/** Runs a policy whose function always fails, returns the times (ms since start) of each attempt. */
async function attemptTimes(config: Partial<RetryConfig>, error: () => unknown = networkError): Promise<number[]> {
  const policy = new RetryPolicy('r', { ...BASE, ...config });
  const times: number[] = [];
  const start = Date.now();
  const call = policy
    .execute(() => {
      times.push(Date.now() - start);
      return Promise.reject(error());
    })
    .catch((e: unknown) => e);
  await jest.advanceTimersByTimeAsync(120_000);
  await call;
  return times;
}

describe('RetryPolicy', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: Date.parse('2030-01-01T00:00:00Z') });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  describe('delays follow the strategy', () => {
    it('fixed', async () => {
      expect(await attemptTimes({ backoff: 'fixed', initialDelayMs: 50 })).toEqual([0, 50, 100, 150]);
    });

    it('linear', async () => {
      expect(await attemptTimes({ backoff: 'linear', initialDelayMs: 100, incrementMs: 50 })).toEqual([
        0, 100, 250, 450,
      ]);
    });

    it('exponential, capped at maxDelayMs', async () => {
      expect(await attemptTimes({ maxAttempts: 6, maxDelayMs: 500 })).toEqual([0, 100, 300, 700, 1200, 1700]);
    });

    it('decorrelated jitter: random between the base and three times the previous delay', async () => {
      // random() = 0.5: 100 + 0.5 * (300 - 100) = 200; then 100 + 0.5 * (600 - 100) = 350; then 575.
      const times = await attemptTimes({ backoff: 'decorrelated-jitter', random: () => 0.5 });
      expect(times).toEqual([0, 200, 550, 1125]);
    });

    it('jitter spreads each delay within the factor', async () => {
      expect(await attemptTimes({ backoff: 'fixed', initialDelayMs: 100, jitter: 0.2, random: () => 0 })).toEqual([
        0, 80, 160, 240,
      ]);
      expect(await attemptTimes({ backoff: 'fixed', initialDelayMs: 100, jitter: 0.2, random: () => 0.999 })).toEqual([
        0, 120, 240, 360,
      ]);
    });

    it('waits at least what Retry-After asks (seconds or HTTP date)', async () => {
      expect(await attemptTimes({ maxAttempts: 2 }, () => httpError(429, { 'Retry-After': '3' }))).toEqual([0, 3000]);
      const at = () => new Date(Date.now() + 5_000).toUTCString();
      expect(await attemptTimes({ maxAttempts: 2 }, () => httpError(503, { 'retry-after': at() }))).toEqual([0, 5000]);
    });

    it('gives up when Retry-After asks for more than maxRetryAfterMs', async () => {
      expect(
        await attemptTimes({ maxAttempts: 3, maxRetryAfterMs: 1_000 }, () => httpError(503, { 'retry-after': '30' })),
      ).toEqual([0]);
    });
  });

  it('returns the first success and counts what happened', async () => {
    const events = new ResilienceEvents();
    const seen: number[] = [];
    events.on('retry', (e) => seen.push(e.attempt));
    const policy = new RetryPolicy('r', BASE, events);
    let n = 0;
    const call = policy.execute(async ({ attempt }) => {
      n++;
      if (attempt < 3) throw TimeoutError.create(100);
      return `attempt ${attempt}`;
    });
    await jest.advanceTimersByTimeAsync(1_000);
    await expect(call).resolves.toBe('attempt 3');
    expect(n).toBe(3);
    expect(seen).toEqual([1, 2]);
    expect(policy.stats).toMatchObject({ calls: 1, successWithRetry: 1, retries: 2 });
  });

  it('rethrows the last error once attempts are exhausted', async () => {
    const policy = new RetryPolicy('r', { ...BASE, maxAttempts: 3 });
    let n = 0;
    const call = policy.execute(() => Promise.reject(Object.assign(networkError(), { n: ++n }))).catch((e) => e);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(await call).toMatchObject({ code: 'ECONNRESET', n: 3 });
    expect(policy.stats).toMatchObject({ failedWithRetry: 1, retries: 2 });
  });

  it.each([
    ['401', httpError(401)],
    ['403', httpError(403)],
    ['400', httpError(400)],
    ['422', httpError(422)],
    ['a ValidationError', Object.assign(new Error('bad email'), { name: 'ValidationError' })],
    ['an abort', Object.assign(new Error('aborted'), { name: 'AbortError' })],
    ['an open breaker', BreakerOpenError.create('b', undefined, 'open', 10)],
    ['an error it does not know', new Error('plain')],
  ])('never retries %s by default', async (_label, error) => {
    const policy = new RetryPolicy('r', BASE);
    const fn = jest.fn(() => Promise.reject(error));
    const call = policy.execute(fn).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(await call).toBe(error);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(policy.stats.failedWithoutRetry).toBe(1);
  });

  it('retries network errors, timeouts and 408/429/502/503/504 by default', () => {
    const policy = new RetryPolicy('r', BASE);
    for (const status of [408, 429, 502, 503, 504]) expect(policy.isRetryable(httpError(status))).toBe(true);
    for (const status of [500, 404, 409]) expect(policy.isRetryable(httpError(status))).toBe(false);
    expect(policy.isRetryable(networkError())).toBe(true);
    expect(policy.isRetryable(Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } }))).toBe(
      true,
    );
    expect(policy.isRetryable(TimeoutError.create(100))).toBe(true);
    expect(policy.isRetryable({ getStatus: () => 503 })).toBe(true);
  });

  it('retryOn replaces the default set; neverRetryOn and the built-in never-list still win', async () => {
    class Flaky extends Error {}
    const policy = new RetryPolicy('r', { ...BASE, retryOn: [Error], neverRetryOn: [Flaky] });
    expect(policy.isRetryable(new Error('plain'))).toBe(true);
    expect(policy.isRetryable(new Flaky())).toBe(false);
    expect(policy.isRetryable(httpError(403))).toBe(false);
    const byPredicate = new RetryPolicy('r', { ...BASE, retryOn: [(e) => (e as Error).message === 'again'] });
    expect(byPredicate.isRetryable(new Error('again'))).toBe(true);
    expect(byPredicate.isRetryable(networkError())).toBe(false);
  });

  describe('retryOnResult', () => {
    it('retries a result the predicate rejects, with the same backoff, and returns the first good one', async () => {
      const results = [{ status: 503 }, { status: 503 }, { status: 200 }];
      const seen: number[] = [];
      const policy = new RetryPolicy('r', {
        ...BASE,
        retryOnResult: (result: unknown) => (result as { status: number }).status === 503,
      });
      const start = Date.now();
      const call = policy.execute(() => {
        seen.push(Date.now() - start);
        return results.shift()!;
      });
      await jest.advanceTimersByTimeAsync(1_000);
      await expect(call).resolves.toEqual({ status: 200 });
      expect(seen).toEqual([0, 100, 300]);
      expect(policy.stats).toMatchObject({ successWithRetry: 1, retries: 2 });
    });

    it('returns the last result once attempts are exhausted, or fails with failAfterMaxAttempts', async () => {
      const lenient = new RetryPolicy('r', { ...BASE, maxAttempts: 2, retryOnResult: () => true });
      const call = lenient.execute(async () => 'still busy');
      await jest.advanceTimersByTimeAsync(1_000);
      await expect(call).resolves.toBe('still busy');

      const strict = new RetryPolicy('r', {
        ...BASE,
        maxAttempts: 2,
        retryOnResult: () => true,
        failAfterMaxAttempts: true,
      });
      const failing = strict.execute(async () => 'still busy').catch((e: unknown) => e);
      await jest.advanceTimersByTimeAsync(1_000);
      const error = (await failing) as RetryResultError;
      expect(error).toBeInstanceOf(RetryResultError);
      expect(error.details).toMatchObject({ retry: 'r', attempts: 2 });
      expect(error.result).toBe('still busy');
    });
  });

  it('says which classifier refused to retry an error, once per policy and reason', async () => {
    const events = new ResilienceEvents();
    const exhausted: unknown[] = [];
    events.on('retry.exhausted', (event) => exhausted.push(event));
    const warnings: string[] = [];
    const policy = new RetryPolicy('ledger', BASE, events, { warn: (line: string) => warnings.push(line) });
    await expect(policy.execute(() => Promise.reject(new Error('plain')))).rejects.toThrow('plain');
    await expect(policy.execute(() => Promise.reject(new Error('plain again')))).rejects.toThrow('plain again');
    await expect(policy.execute(() => Promise.reject(httpError(401)))).rejects.toThrow('HTTP 401');
    expect(exhausted).toMatchObject([
      { reason: 'not-retryable', refusedBy: 'default-retry-on' },
      { reason: 'not-retryable', refusedBy: 'default-retry-on' },
      { reason: 'not-retryable', refusedBy: 'never-retry-auth' },
    ]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(
      /Retry "ledger": Error not retried: .*network errors, timeouts and HTTP 408\/429\/502\/503\/504.*retryOn/,
    );
    expect(warnings[1]).toMatch(/401\/403/);
  });

  it('stops at once when the signal aborts during a delay', async () => {
    const policy = new RetryPolicy('r', { ...BASE, initialDelayMs: 1_000 });
    const controller = new AbortController();
    const fn = jest.fn(() => Promise.reject(networkError()));
    const call = policy.execute(fn, controller.signal).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(10);
    const reason = new Error('caller gave up');
    controller.abort(reason);
    expect(await call).toBe(reason);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);
    expect(policy.stats.aborted).toBe(1);
  });

  it('stops at once when the signal aborts during an attempt, without waiting for it', async () => {
    const policy = new RetryPolicy('r', BASE);
    const controller = new AbortController();
    let attemptSignal: AbortSignal | undefined;
    const call = policy
      .execute(({ signal }) => {
        attemptSignal = signal;
        return new Promise<string>(() => undefined);
      }, controller.signal)
      .catch((e: unknown) => e);
    controller.abort(new Error('stop'));
    expect(await call).toMatchObject({ message: 'stop' });
    expect(attemptSignal?.aborted).toBe(true);
  });

  it('ends a wait for the next attempt on shutdown, leaving no timer', async () => {
    const policy = new RetryPolicy('r', { ...BASE, initialDelayMs: 30_000 });
    const fn = jest.fn(() => Promise.reject(networkError()));
    const call = policy.execute(fn).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(1);
    expect(jest.getTimerCount()).toBe(1);
    policy.shutdown();
    expect(await call).toMatchObject({ code: 'ECONNRESET' });
    expect(jest.getTimerCount()).toBe(0);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(policy.stats.failedWithRetry).toBe(1);
  });

  it('does not start when the signal is already aborted', async () => {
    const policy = new RetryPolicy('r', BASE);
    const fn = jest.fn(async () => 'x');
    await expect(policy.execute(fn, AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
    expect(fn).not.toHaveBeenCalled();
  });
});

import { describe, expect, it } from '@jest/globals';
import { BallastOptionsError } from '@ballast/core';

import { resilienceOptions } from './resilience.options.js';
import { ResilienceRuntime } from './resilience.runtime.js';

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BallastOptionsError);
    return (error as Error).message;
  }
  throw new Error('expected a BallastOptionsError');
}

describe('resilience options', () => {
  it('fills every default', () => {
    const options = resilienceOptions.parse({});
    expect(options.breaker).toMatchObject({ failureRateThreshold: 50, windowType: 'count', windowSize: 100 });
    expect(options.retry).toMatchObject({ maxAttempts: 3, backoff: 'exponential', jitter: 0.2 });
    expect(options.deadLetter).toMatchObject({ store: 'memory', maxEntries: 10_000 });
    expect(options.profiles).toEqual({});
  });

  it('reads profiles as JSON from the environment and names the option when the JSON is wrong', () => {
    const env = (value: string) =>
      resilienceOptions.fromEnv({ get: (name) => (name === 'RESILIENCE_PROFILES' ? value : undefined) });
    const parsed = resilienceOptions.parse(env('{"payments":{"retry":{"maxAttempts":2}}}'));
    expect(parsed.profiles.payments?.retry?.maxAttempts).toBe(2);
    expect(messageOf(() => resilienceOptions.parse(env('{not json')))).toContain('profiles (env RESILIENCE_PROFILES)');
    expect(messageOf(() => resilienceOptions.parse(env('{"payments":{"retry":{"maxAttempts":0}}}')))).toContain(
      'profiles.payments.retry.maxAttempts',
    );
  });

  it('checks rules that cross options, in profiles too', () => {
    expect(
      messageOf(() =>
        resilienceOptions.parse({ profiles: { p: { breaker: { halfOpenTrials: 1, halfOpenSuccesses: 2 } } } }),
      ),
    ).toContain('profiles.p.breaker.halfOpenSuccesses');
    expect(messageOf(() => resilienceOptions.parse({ sharedState: { enabled: true } }))).toContain(
      'sharedState.redisUrl',
    );
    expect(messageOf(() => resilienceOptions.parse({ breaker: { windowType: 'sliding' } }))).toMatch(
      /breaker\.windowType.*"count" \| "time"|"count".*"time"/s,
    );
  });

  it('resolves defaults, then the profile, then the overrides, and checks the overrides', async () => {
    const runtime = ResilienceRuntime.create({
      breaker: { openDurationMs: 1_000 },
      profiles: { payments: { breaker: { openDurationMs: 5_000, failureRateThreshold: 20 } } },
    });
    expect(runtime.resolveBreaker('other').openDurationMs).toBe(1_000);
    expect(runtime.resolveBreaker('payments')).toMatchObject({ openDurationMs: 5_000, failureRateThreshold: 20 });
    expect(runtime.resolveBreaker('checkout', { profile: 'payments', openDurationMs: 9_000 })).toMatchObject({
      openDurationMs: 9_000,
      failureRateThreshold: 20,
    });
    expect(messageOf(() => runtime.resolveBreaker('x', { failureRateThreshold: 0 }))).toMatch(
      /ResilienceModule breaker "x".*failureRateThreshold = 0/s,
    );
    expect(messageOf(() => runtime.resolveBreaker('x', { halfOpenTrials: 1, halfOpenSuccesses: 5 }))).toContain(
      'breaker "x".halfOpenSuccesses',
    );
    expect(messageOf(() => runtime.retry('r', { profile: 'missing' }))).toContain('profile "missing"');
    await runtime.close();
  });
});

import type { OptionSpecTree } from '@ballast/core';
import { z } from 'zod';

import type { ErrorMatcher } from '../errors/error-matchers.js';
import { count, durationMs, matcherList, percent } from '../policies/option-fields.js';

export type BreakerClassification = 'failure' | 'ignore' | 'success';
export type HealthImpact = 'degraded' | 'down' | 'none';
/** How a half-open breaker decides: ours (early) or Resilience4j's (rates once every trial completed). */
export type HalfOpenDecision = 'early' | 'resilience4j';

export const breakerFields = {
  failureRateThreshold: percent(),
  slowCallRateThreshold: percent(),
  slowCallDurationMs: durationMs(1),
  windowType: z.enum(['count', 'time']),
  windowSize: count(1, 1_000_000),
  windowDurationMs: durationMs(10),
  windowBuckets: count(1, 1_000),
  minimumCalls: count(1, 1_000_000),
  openDurationMs: durationMs(1),
  halfOpenTrials: count(1, 10_000),
  halfOpenSuccesses: count(1, 10_000),
  halfOpenDecision: z.enum(['early', 'resilience4j']),
  timeoutMs: durationMs(1).optional(),
  recordErrors: matcherList().optional(),
  ignoreErrors: matcherList().optional(),
  classify: z
    .custom<(error: unknown) => BreakerClassification>(
      (value) => typeof value === 'function',
      "must be a function (error) => 'failure' | 'ignore' | 'success'",
    )
    .optional(),
  recordResult: z
    .custom<(result: unknown) => boolean>(
      (value) => typeof value === 'function',
      'must be a function (result) => boolean (true: count as a failure)',
    )
    .optional(),
  healthImpact: z.enum(['degraded', 'down', 'none']),
  shareState: z.boolean(),
};

export const breakerOptionSpecs = {
  failureRateThreshold: {
    schema: breakerFields.failureRateThreshold.default(50),
    env: 'RESILIENCE_BREAKER_FAILURE_RATE_THRESHOLD',
    description: 'Failure rate (percent of the calls in the window) at or above which the breaker opens.',
  },
  slowCallRateThreshold: {
    schema: breakerFields.slowCallRateThreshold.default(100),
    env: 'RESILIENCE_BREAKER_SLOW_CALL_RATE_THRESHOLD',
    description:
      'Slow-call rate (percent) at or above which the breaker opens; 100 opens only when every call is slow.',
  },
  slowCallDurationMs: {
    schema: breakerFields.slowCallDurationMs.default(60_000),
    env: 'RESILIENCE_BREAKER_SLOW_CALL_DURATION_MS',
    description: 'A call taking this long or longer counts as slow (successful or not).',
  },
  windowType: {
    schema: breakerFields.windowType.default('count'),
    env: 'RESILIENCE_BREAKER_WINDOW_TYPE',
    description: '`count`: the last `windowSize` calls; `time`: the calls of the last `windowDurationMs`.',
  },
  windowSize: {
    schema: breakerFields.windowSize.default(100),
    env: 'RESILIENCE_BREAKER_WINDOW_SIZE',
    description: 'Calls in a count-based window.',
  },
  windowDurationMs: {
    schema: breakerFields.windowDurationMs.default(60_000),
    env: 'RESILIENCE_BREAKER_WINDOW_DURATION_MS',
    description: 'Length of a time-based window.',
  },
  windowBuckets: {
    schema: breakerFields.windowBuckets.default(10),
    env: 'RESILIENCE_BREAKER_WINDOW_BUCKETS',
    description: 'Slices of a time-based window; calls age out one slice at a time.',
  },
  minimumCalls: {
    schema: breakerFields.minimumCalls.default(20),
    env: 'RESILIENCE_BREAKER_MINIMUM_CALLS',
    description:
      'Calls the window must hold before a rate can open the breaker (capped at windowSize for count windows).',
  },
  openDurationMs: {
    schema: breakerFields.openDurationMs.default(30_000),
    env: 'RESILIENCE_BREAKER_OPEN_DURATION_MS',
    description: 'How long an open breaker rejects calls before it lets trial calls through (half-open).',
  },
  halfOpenTrials: {
    schema: breakerFields.halfOpenTrials.default(5),
    env: 'RESILIENCE_BREAKER_HALF_OPEN_TRIALS',
    description: 'Trial calls a half-open breaker lets through; further calls are rejected until they finish.',
  },
  halfOpenSuccesses: {
    schema: breakerFields.halfOpenSuccesses.default(3),
    env: 'RESILIENCE_BREAKER_HALF_OPEN_SUCCESSES',
    description:
      'Trials that must succeed (not fail, not be slow) to close; once that is out of reach the breaker opens again.',
  },
  halfOpenDecision: {
    schema: breakerFields.halfOpenDecision.default('early'),
    env: 'RESILIENCE_BREAKER_HALF_OPEN_DECISION',
    description:
      '`early`: close as soon as halfOpenSuccesses trials succeeded, reopen as soon as that is out of reach (a slow trial counts as failed). `resilience4j`: wait until all halfOpenTrials completed, then reopen if their failure rate >= failureRateThreshold or slow-call rate >= slowCallRateThreshold, else close.',
  },
  timeoutMs: {
    schema: breakerFields.timeoutMs,
    env: 'RESILIENCE_BREAKER_TIMEOUT_MS',
    description: 'Per-call timeout built into the breaker (none by default; `@Timeout` or the timeout policy set one).',
  },
  recordErrors: {
    schema: breakerFields.recordErrors,
    description: 'Errors that count as failures; when set, any other error counts as a success.',
  },
  ignoreErrors: {
    schema: breakerFields.ignoreErrors,
    description: 'Errors that count neither way (added to the built-in BulkheadRejectedError and AbortError).',
  },
  classify: {
    schema: breakerFields.classify,
    description: 'Decides per error instead of recordErrors/ignoreErrors: failure, ignore or success.',
  },
  recordResult: {
    schema: breakerFields.recordResult,
    description:
      "Counts a call whose result this returns true for as a failure (e.g. an HTTP 503 response that was not thrown); the caller still gets the result. Resilience4j's recordResult.",
  },
  healthImpact: {
    schema: breakerFields.healthImpact.default('degraded'),
    env: 'RESILIENCE_BREAKER_HEALTH_IMPACT',
    description: 'What an open breaker does to readiness: degraded (HTTP 200), down (503) or none.',
  },
  shareState: {
    schema: breakerFields.shareState.default(true),
    env: 'RESILIENCE_BREAKER_SHARE_STATE',
    description: 'Publish and follow state changes through Redis when sharedState is enabled (named breakers).',
  },
} satisfies OptionSpecTree;

/** A breaker's settings with every default filled in. */
export interface BreakerConfig {
  readonly failureRateThreshold: number;
  readonly slowCallRateThreshold: number;
  readonly slowCallDurationMs: number;
  readonly windowType: 'count' | 'time';
  readonly windowSize: number;
  readonly windowDurationMs: number;
  readonly windowBuckets: number;
  readonly minimumCalls: number;
  readonly openDurationMs: number;
  readonly halfOpenTrials: number;
  readonly halfOpenSuccesses: number;
  /** Absent means `early`. */
  readonly halfOpenDecision?: HalfOpenDecision;
  readonly timeoutMs?: number;
  readonly recordErrors?: readonly ErrorMatcher[];
  readonly ignoreErrors?: readonly ErrorMatcher[];
  readonly classify?: (error: unknown) => BreakerClassification;
  readonly recordResult?: (result: unknown) => boolean;
  readonly healthImpact: HealthImpact;
  readonly shareState: boolean;
}

/** What a profile, `BreakerRegistry.get(name, options)` or `@CircuitBreaker(options)` may override. */
export type BreakerOptions = Partial<BreakerConfig>;

/** Problems that involve two settings at once, checked on every resolved breaker config. */
export function breakerConfigProblems(config: BreakerConfig, path = 'breaker'): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (config.halfOpenSuccesses > config.halfOpenTrials) {
    problems.push({
      path: `${path}.halfOpenSuccesses`,
      message: `must not exceed halfOpenTrials (${config.halfOpenTrials})`,
    });
  }
  if (config.windowType === 'time' && config.windowDurationMs / config.windowBuckets < 1) {
    problems.push({ path: `${path}.windowBuckets`, message: 'leaves slices shorter than 1 ms' });
  }
  return problems;
}

import type { OptionSpecTree } from '@ballast/core';
import { z } from 'zod';

import type { ErrorMatcher } from '../errors/error-matchers.js';
import { count, durationMs, matcherList } from '../policies/option-fields.js';

export type BackoffKind = 'fixed' | 'linear' | 'exponential' | 'decorrelated-jitter';

export const retryFields = {
  maxAttempts: count(1, 100),
  backoff: z.enum(['fixed', 'linear', 'exponential', 'decorrelated-jitter']),
  initialDelayMs: durationMs(0),
  maxDelayMs: durationMs(0),
  multiplier: z.number().min(1).max(100),
  incrementMs: durationMs(0).optional(),
  jitter: z.number().min(0).max(1),
  honourRetryAfter: z.boolean(),
  maxRetryAfterMs: durationMs(0),
  retryOn: matcherList().optional(),
  neverRetryOn: matcherList().optional(),
  random: z
    .custom<() => number>((value) => typeof value === 'function', 'must be a function () => number in [0, 1)')
    .optional(),
  retryOnResult: z
    .custom<(result: unknown) => boolean>(
      (value) => typeof value === 'function',
      'must be a function (result) => boolean (true: retry)',
    )
    .optional(),
  failAfterMaxAttempts: z.boolean(),
};

export const retryOptionSpecs = {
  maxAttempts: {
    schema: retryFields.maxAttempts.default(3),
    env: 'RESILIENCE_RETRY_MAX_ATTEMPTS',
    description: 'Attempts in all, the first included (1 = no retry).',
  },
  backoff: {
    schema: retryFields.backoff.default('exponential'),
    env: 'RESILIENCE_RETRY_BACKOFF',
    description:
      'Delay between attempts: fixed, linear (initial + increment per retry), exponential (initial x multiplier^n) or decorrelated-jitter (random between initial and 3x the previous delay).',
  },
  initialDelayMs: {
    schema: retryFields.initialDelayMs.default(100),
    env: 'RESILIENCE_RETRY_INITIAL_DELAY_MS',
    description: 'Delay before the first retry (and the base of every strategy).',
  },
  maxDelayMs: {
    schema: retryFields.maxDelayMs.default(10_000),
    env: 'RESILIENCE_RETRY_MAX_DELAY_MS',
    description: 'No computed delay exceeds this (a Retry-After may, up to maxRetryAfterMs).',
  },
  multiplier: {
    schema: retryFields.multiplier.default(2),
    env: 'RESILIENCE_RETRY_MULTIPLIER',
    description: 'Growth factor of exponential backoff.',
  },
  incrementMs: {
    schema: retryFields.incrementMs,
    env: 'RESILIENCE_RETRY_INCREMENT_MS',
    description: 'Added per retry by linear backoff (default: initialDelayMs).',
  },
  jitter: {
    schema: retryFields.jitter.default(0.2),
    env: 'RESILIENCE_RETRY_JITTER',
    description:
      'Spread of fixed/linear/exponential delays: 0.2 draws each delay within +-20% so clients do not retry in step.',
  },
  honourRetryAfter: {
    schema: retryFields.honourRetryAfter.default(true),
    env: 'RESILIENCE_RETRY_HONOUR_RETRY_AFTER',
    description: "Wait at least as long as a 429/503 response's Retry-After header asks.",
  },
  maxRetryAfterMs: {
    schema: retryFields.maxRetryAfterMs.default(60_000),
    env: 'RESILIENCE_RETRY_MAX_RETRY_AFTER_MS',
    description: 'A Retry-After longer than this ends the retries instead of waiting.',
  },
  retryOn: {
    schema: retryFields.retryOn,
    description:
      'Errors to retry, replacing the default (network errors, timeouts, HTTP 408/429/502/503/504). Pass [Error] to retry everything retryable.',
  },
  neverRetryOn: {
    schema: retryFields.neverRetryOn,
    description:
      'Errors never retried, in addition to the built-in ones (401/403, 400/422 and validation errors, aborts).',
  },
  retryOnResult: {
    schema: retryFields.retryOnResult,
    description:
      "Retries a call whose result this returns true for (e.g. a 503 response that was not thrown), with the same backoff; Resilience4j's retryOnResultPredicate.",
  },
  failAfterMaxAttempts: {
    schema: retryFields.failAfterMaxAttempts.default(false),
    env: 'RESILIENCE_RETRY_FAIL_AFTER_MAX_ATTEMPTS',
    description:
      'When every attempt returned a result retryOnResult retries: false returns the last result, true rejects with RetryResultError (Resilience4j: MaxRetriesExceededException).',
  },
  random: {
    schema: retryFields.random,
    description: 'Source of randomness for jitter (Math.random); tests pass a fixed one.',
  },
} satisfies OptionSpecTree;

export interface RetryConfig {
  readonly maxAttempts: number;
  readonly backoff: BackoffKind;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly multiplier: number;
  readonly incrementMs?: number;
  readonly jitter: number;
  readonly honourRetryAfter: boolean;
  readonly maxRetryAfterMs: number;
  readonly retryOn?: readonly ErrorMatcher[];
  readonly neverRetryOn?: readonly ErrorMatcher[];
  readonly random?: () => number;
  readonly retryOnResult?: (result: unknown) => boolean;
  /** Absent means false. */
  readonly failAfterMaxAttempts?: boolean;
}

export type RetryOptions = Partial<RetryConfig>;

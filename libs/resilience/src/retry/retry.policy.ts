import {
  codeOf,
  isAbortError,
  isAuthError,
  isNetworkError,
  isRetryableHttpError,
  isTimeoutError,
  isValidationError,
  matchesAny,
  retryAfterMsOf,
  statusOf,
} from '../errors/error-matchers.js';
import { RedactingLogger } from '@ballast/core';

import { RetryResultError } from '../errors/resilience.errors.js';
import type { Protected } from '../interfaces/call-context.interface.js';
import type { ResilienceEvents, RetryExhaustedEvent, RetryRefusal } from '../resilience.events.js';
import { AttemptContext } from '../timeout/call-context.js';
import { isThenable } from '../timeout/protected-call.js';
import { backoffDelay } from './backoff.js';
import type { RetryConfig } from './retry.options.js';

/** Counters of one retry policy, read when metrics are scraped and reports are built. */
export class RetryStats {
  calls = 0;
  successWithoutRetry = 0;
  successWithRetry = 0;
  /** Gave up after retrying: attempts exhausted, or a Retry-After too long. */
  failedWithRetry = 0;
  /** Failed on the first attempt with an error the policy does not retry. */
  failedWithoutRetry = 0;
  /** Retries performed (attempts after the first). */
  retries = 0;
  aborted = 0;
}

export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number }
  | {
      readonly retry: false;
      readonly reason: RetryExhaustedEvent['reason'];
      readonly refusedBy?: RetryRefusal;
    };

/** Where the policy says why it did not retry an error (once per policy and rule). */
export interface RetryLogger {
  warn(message: string): void;
}

const REFUSAL_WHY: Record<Exclude<RetryRefusal, 'abort'>, string> = {
  'never-retry-on': "it matches the policy's neverRetryOn",
  'never-retry-auth': 'authentication and authorization errors (401/403) are never retried',
  'never-retry-validation': 'validation errors (400/422, *ValidationError, BadRequest*) are never retried',
  'retry-on': "it matches none of the policy's retryOn",
  'default-retry-on':
    'only network errors, timeouts and HTTP 408/429/502/503/504 are retried by default; pass retryOn (e.g. [Error]) to retry it',
};

/** Names the error without its message (messages may carry secrets). */
function describeError(error: unknown): string {
  if (error === null || typeof error !== 'object') return `a thrown ${typeof error}`;
  const name = (error as { name?: unknown }).name;
  const code = codeOf(error);
  const status = statusOf(error);
  return `${typeof name === 'string' ? name : 'object'}${code ? ` (code ${code})` : ''}${status ? ` (status ${status})` : ''}`;
}

/**
 * Retries a function with a backoff strategy. Only errors worth retrying are retried: by default
 * network errors, timeouts and HTTP 408/429/502/503/504; never authentication, authorization or
 * validation errors, nor a caller's abort. A Retry-After on the error is honoured. The caller's
 * `AbortSignal` ends everything at once: a pending delay is cancelled and the call rejects with the
 * signal's reason without waiting for the attempt in flight.
 */
export class RetryPolicy {
  readonly stats = new RetryStats();
  /** Calls waiting for their next attempt: shutdown ends the wait instead of leaving a timer behind. */
  private readonly waiting = new Set<() => void>();
  private closed = false;
  /** Refusal rules already explained in the log: one line per policy and rule, not per call. */
  private readonly explained = new Set<RetryRefusal>();

  constructor(
    readonly name: string,
    readonly config: RetryConfig,
    private readonly events?: ResilienceEvents,
    private readonly logger: RetryLogger = new RedactingLogger('Retry'),
  ) {}

  /** Whether `error` is worth another attempt at all (ignoring how many were made). */
  isRetryable(error: unknown): boolean {
    return this.refusalOf(error) === undefined;
  }

  /** Which rule refuses to retry `error`, or undefined when it is retryable. */
  refusalOf(error: unknown): RetryRefusal | undefined {
    const { neverRetryOn, retryOn } = this.config;
    if (matchesAny(error, neverRetryOn)) return 'never-retry-on';
    if (isAbortError(error)) return 'abort';
    if (isAuthError(error)) return 'never-retry-auth';
    if (isValidationError(error)) return 'never-retry-validation';
    if (retryOn !== undefined) return matchesAny(error, retryOn) ? undefined : 'retry-on';
    return isNetworkError(error) || isTimeoutError(error) || isRetryableHttpError(error)
      ? undefined
      : 'default-retry-on';
  }

  /** What to do after attempt number `attempt` failed with `error`. */
  decide(error: unknown, attempt: number, previousDelayMs: number): RetryDecision {
    const refusedBy = this.refusalOf(error);
    if (refusedBy !== undefined) return { retry: false, reason: 'not-retryable', refusedBy };
    if (attempt >= this.config.maxAttempts) return { retry: false, reason: 'exhausted' };
    let delayMs = backoffDelay(this.config, attempt, previousDelayMs);
    if (this.config.honourRetryAfter) {
      const asked = retryAfterMsOf(error);
      if (asked !== undefined) {
        if (asked > this.config.maxRetryAfterMs) return { retry: false, reason: 'retry-after-too-long' };
        delayMs = Math.max(delayMs, asked);
      }
    }
    return { retry: true, delayMs };
  }

  /** The first time a rule refuses a retry, one line says which rule and how to change it. */
  private explain(refusedBy: RetryRefusal, error: unknown): void {
    if (refusedBy === 'abort' || this.explained.has(refusedBy)) return;
    this.explained.add(refusedBy);
    this.logger.warn(
      `Retry "${this.name}": ${describeError(error)} not retried: ${REFUSAL_WHY[refusedBy]} (said once per policy and rule)`,
    );
  }

  /** Ends every wait for a next attempt at once (the call rejects with its last error); no retries after. */
  shutdown(): void {
    this.closed = true;
    for (const giveUp of [...this.waiting]) giveUp();
  }

  execute<T>(fn: Protected<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.stats.calls++;
    return new Promise<T>((resolve, reject) => {
      let attempt = 0;
      let previousDelay = this.config.initialDelayMs;
      let timer: NodeJS.Timeout | undefined;
      let done = false;
      const onAbort = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.stats.aborted++;
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const finish = (): void => {
        done = true;
        signal?.removeEventListener('abort', onAbort);
      };
      /** Waits `delayMs`, then runs the next attempt; `giveUp` ends the wait on shutdown. */
      const retryAfter = (delayMs: number, giveUp: () => void): void => {
        this.stats.retries++;
        previousDelay = delayMs;
        const stop = (): void => {
          clearTimeout(timer);
          this.waiting.delete(stop);
          finish();
          this.stats.failedWithRetry++;
          giveUp();
        };
        this.waiting.add(stop);
        timer = setTimeout(() => {
          this.waiting.delete(stop);
          run();
        }, delayMs);
      };
      const succeeded = (value: T): void => {
        if (done) return;
        const retryOnResult = this.config.retryOnResult;
        if (retryOnResult !== undefined && retryOnResult(value)) {
          if (attempt < this.config.maxAttempts && !this.closed) {
            const delayMs = backoffDelay(this.config, attempt, previousDelay);
            this.events?.publish('retry', { retry: this.name, attempt, delayMs, error: undefined, result: value });
            retryAfter(delayMs, () => resolve(value));
            return;
          }
          finish();
          this.stats.failedWithRetry++;
          if (this.config.failAfterMaxAttempts) {
            const error = RetryResultError.create(this.name, attempt, value);
            this.events?.publish('retry.exhausted', {
              retry: this.name,
              attempts: attempt,
              error,
              reason: 'exhausted',
            });
            reject(error);
          } else {
            resolve(value);
          }
          return;
        }
        finish();
        if (attempt === 1) this.stats.successWithoutRetry++;
        else this.stats.successWithRetry++;
        resolve(value);
      };
      const failed = (error: unknown): void => {
        if (done) return;
        const decision = this.decide(error, attempt, previousDelay);
        if (decision.retry && !this.closed) {
          this.events?.publish('retry', { retry: this.name, attempt, delayMs: decision.delayMs, error });
          retryAfter(decision.delayMs, () => reject(error));
          return;
        }
        finish();
        // A retry the policy would make after shutdown counts as exhausted.
        const reason = decision.retry ? 'exhausted' : decision.reason;
        const refusedBy = decision.retry ? undefined : decision.refusedBy;
        if (attempt === 1 && reason === 'not-retryable') this.stats.failedWithoutRetry++;
        else this.stats.failedWithRetry++;
        if (refusedBy !== undefined) this.explain(refusedBy, error);
        this.events?.publish('retry.exhausted', {
          retry: this.name,
          attempts: attempt,
          error,
          reason,
          ...(refusedBy === undefined ? {} : { refusedBy }),
        });
        reject(error);
      };
      const run = (): void => {
        timer = undefined;
        attempt++;
        let result: T | PromiseLike<T>;
        try {
          result = fn(new AttemptContext(signal, attempt));
        } catch (error) {
          failed(error);
          return;
        }
        if (isThenable<T>(result)) result.then(succeeded, failed);
        else succeeded(result);
      };
      run();
    });
  }
}

import {
  isAbortError,
  isAuthError,
  isNetworkError,
  isRetryableHttpError,
  isTimeoutError,
  isValidationError,
  matchesAny,
  retryAfterMsOf,
} from '../errors/error-matchers.js';
import type { Protected } from '../interfaces/call-context.interface.js';
import type { ResilienceEvents, RetryExhaustedEvent } from '../resilience.events.js';
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
    };

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

  constructor(
    readonly name: string,
    readonly config: RetryConfig,
    private readonly events?: ResilienceEvents,
  ) {}

  /** Whether `error` is worth another attempt at all (ignoring how many were made). */
  isRetryable(error: unknown): boolean {
    const { neverRetryOn, retryOn } = this.config;
    if (matchesAny(error, neverRetryOn)) return false;
    if (isAbortError(error) || isAuthError(error) || isValidationError(error)) return false;
    if (retryOn !== undefined) return matchesAny(error, retryOn);
    return isNetworkError(error) || isTimeoutError(error) || isRetryableHttpError(error);
  }

  /** What to do after attempt number `attempt` failed with `error`. */
  decide(error: unknown, attempt: number, previousDelayMs: number): RetryDecision {
    if (!this.isRetryable(error)) return { retry: false, reason: 'not-retryable' };
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
      const succeeded = (value: T): void => {
        if (done) return;
        finish();
        if (attempt === 1) this.stats.successWithoutRetry++;
        else this.stats.successWithRetry++;
        resolve(value);
      };
      const failed = (error: unknown): void => {
        if (done) return;
        const decision = this.decide(error, attempt, previousDelay);
        if (decision.retry && !this.closed) {
          this.stats.retries++;
          previousDelay = decision.delayMs;
          this.events?.publish('retry', { retry: this.name, attempt, delayMs: decision.delayMs, error });
          const giveUp = (): void => {
            clearTimeout(timer);
            this.waiting.delete(giveUp);
            finish();
            this.stats.failedWithRetry++;
            reject(error);
          };
          this.waiting.add(giveUp);
          timer = setTimeout(() => {
            this.waiting.delete(giveUp);
            run();
          }, decision.delayMs);
          return;
        }
        finish();
        // A retry the policy would make after shutdown counts as exhausted.
        const reason = decision.retry ? 'exhausted' : decision.reason;
        if (attempt === 1 && reason === 'not-retryable') this.stats.failedWithoutRetry++;
        else this.stats.failedWithRetry++;
        this.events?.publish('retry.exhausted', { retry: this.name, attempts: attempt, error, reason });
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

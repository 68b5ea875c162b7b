import { BallastError, HTTP_MEANING, type HasHttpMeaning, type HttpMeaning } from '@ballast/core';

/**
 * Errors raised on the fast paths (an open breaker, a full bulkhead, a timeout) are built without a
 * captured stack: capturing one costs microseconds, more than the rejection itself, and the stack
 * would only point into this library. `stack` still reads as "Name: message" for loggers.
 */
function withoutStack<E extends BallastError>(
  type: abstract new (...args: never[]) => E,
  message: string,
  details: Record<string, unknown>,
): E {
  const error = Object.create(type.prototype) as E & { message: string; details: Readonly<Record<string, unknown>> };
  error.message = message;
  error.details = details;
  return error;
}

function defineStackless(type: { prototype: object; name: string }): void {
  Object.defineProperty(type.prototype, 'name', { value: type.name, writable: true, configurable: true });
  Object.defineProperty(type.prototype, 'stack', {
    configurable: true,
    get(this: Error) {
      return `${this.name}: ${this.message}`;
    },
    set(this: Error, value: unknown) {
      Object.defineProperty(this, 'stack', { value, writable: true, configurable: true });
    },
  });
}

/**
 * `forced-open`, `disabled` and `metrics-only` are Resilience4j's operator states: held until
 * `reset()` (or another operator state), never left by the breaker on its own.
 */
export type BreakerStateName =
  'closed' | 'open' | 'half-open' | 'shutdown' | 'forced-open' | 'disabled' | 'metrics-only';

/**
 * A call refused by a breaker: open, or half-open with every trial slot taken. HTTP: 503
 * `breaker_open`, `Retry-After` the time left until trial calls (1 s when half-open).
 */
export class BreakerOpenError extends BallastError implements HasHttpMeaning {
  declare readonly details: Readonly<{
    breaker: string;
    key?: string;
    state: BreakerStateName;
    /** How long until the breaker lets trial calls through (0 when half-open). */
    retryAfterMs: number;
  }>;

  static create(breaker: string, key: string | undefined, state: BreakerStateName, retryAfterMs: number) {
    const label = key === undefined ? breaker : `${breaker}[${key}]`;
    const message =
      state === 'half-open'
        ? `Circuit breaker "${label}" is half-open and all its trial calls are taken`
        : state === 'shutdown'
          ? `Circuit breaker "${label}" is shut down`
          : state === 'forced-open'
            ? `Circuit breaker "${label}" is held open (forced-open) until it is reset`
            : `Circuit breaker "${label}" is open; trial calls in ${Math.ceil(retryAfterMs)} ms`;
    return withoutStack(BreakerOpenError, message, { breaker, key, state, retryAfterMs: Math.ceil(retryAfterMs) });
  }

  [HTTP_MEANING](): HttpMeaning {
    return {
      status: 503,
      code: 'breaker_open',
      dependency: `breaker:${this.details.breaker}`,
      retryAfterMs: this.details.state === 'shutdown' ? undefined : Math.max(1_000, this.details.retryAfterMs),
    };
  }
}
defineStackless(BreakerOpenError);

/** A call that ran past its deadline. Its own `AbortSignal` was aborted with this error. HTTP: 504 `timeout`. */
export class TimeoutError extends BallastError implements HasHttpMeaning {
  declare readonly details: Readonly<{ timeoutMs: number; policy?: string }>;
  /** Node-style code, so code that checks `code === 'ETIMEDOUT'` treats it as a timeout. */
  declare readonly code: 'ETIMEDOUT';

  static create(timeoutMs: number, policy?: string): TimeoutError {
    const error = withoutStack(
      TimeoutError,
      `Call${policy ? ` "${policy}"` : ''} timed out after ${timeoutMs} ms`,
      policy === undefined ? { timeoutMs } : { timeoutMs, policy },
    );
    (error as { code: string }).code = 'ETIMEDOUT';
    return error;
  }

  [HTTP_MEANING](): HttpMeaning {
    return {
      status: 504,
      code: 'timeout',
      dependency: this.details.policy ? `timeout:${this.details.policy}` : 'timeout',
    };
  }
}
defineStackless(TimeoutError);

export type BulkheadRejectionReason = 'queue-full' | 'queue-timeout' | 'shutdown';

/**
 * A call the bulkhead turned away, with the numbers that made it do so. HTTP: 503 `bulkhead_full`
 * (`Retry-After` 1 s: a slot frees as soon as a call ends).
 */
export class BulkheadRejectedError extends BallastError implements HasHttpMeaning {
  declare readonly details: Readonly<{
    bulkhead: string;
    reason: BulkheadRejectionReason;
    maxConcurrent: number;
    maxQueue: number;
    active: number;
    queued: number;
    queueTimeoutMs: number;
    waitedMs?: number;
  }>;

  static create(details: BulkheadRejectedError['details']): BulkheadRejectedError {
    const { bulkhead, reason, active, maxConcurrent, queued, maxQueue } = details;
    const why =
      reason === 'queue-full'
        ? `${active}/${maxConcurrent} running and ${queued}/${maxQueue} queued`
        : reason === 'queue-timeout'
          ? `waited ${details.waitedMs ?? details.queueTimeoutMs} ms in the queue without a free slot (${active}/${maxConcurrent} running)`
          : 'the bulkhead is shut down';
    return withoutStack(BulkheadRejectedError, `Bulkhead "${bulkhead}" rejected the call: ${why}`, details);
  }

  [HTTP_MEANING](): HttpMeaning {
    return {
      status: 503,
      code: 'bulkhead_full',
      dependency: `bulkhead:${this.details.bulkhead}`,
      retryAfterMs: this.details.reason === 'shutdown' ? undefined : 1_000,
    };
  }
}
defineStackless(BulkheadRejectedError);

/**
 * Every attempt returned a result `retryOnResult` asked to retry, and the policy was told to fail
 * then (`failAfterMaxAttempts`, Resilience4j's MaxRetriesExceededException). `result` is the last one.
 */
export class RetryResultError extends BallastError {
  declare readonly details: Readonly<{ retry: string; attempts: number }>;
  declare readonly result: unknown;

  static create(retry: string, attempts: number, result: unknown): RetryResultError {
    const error = withoutStack(
      RetryResultError,
      `Retry "${retry}": the result was still one to retry after ${attempts} attempts`,
      { retry, attempts },
    );
    (error as { result: unknown }).result = result;
    return error;
  }
}
defineStackless(RetryResultError);

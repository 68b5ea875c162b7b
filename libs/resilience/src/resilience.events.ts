import { EventEmitter } from 'node:events';

import type { BreakerStateName, BulkheadRejectionReason } from './errors/resilience.errors.js';

export type TransitionReason =
  | 'failure-rate'
  | 'slow-call-rate'
  | 'open-duration-elapsed'
  | 'half-open-trials-succeeded'
  | 'half-open-trial-failed'
  | 'half-open-failure-rate'
  | 'half-open-slow-call-rate'
  | 'forced'
  | 'reset'
  | 'remote';

export interface BreakerStateEvent {
  readonly breaker: string;
  readonly key?: string;
  readonly from: BreakerStateName;
  readonly to: BreakerStateName;
  readonly reason: TransitionReason;
  /** `remote` when another instance's transition was applied through shared state. */
  readonly origin: 'local' | 'remote';
  /** Failure and slow-call rate (percent) of the window that made the decision, when one did. */
  readonly failureRate?: number;
  readonly slowCallRate?: number;
  readonly calls?: number;
  /** For `open`: how long until trial calls are let through. */
  readonly openForMs?: number;
}

export interface RetryEvent {
  readonly retry: string;
  /** The attempt that failed (1 = the first try). */
  readonly attempt: number;
  readonly delayMs: number;
  /** What failed; undefined when a result was retried (`retryOnResult`), see `result`. */
  readonly error: unknown;
  readonly result?: unknown;
}

export interface RetryExhaustedEvent {
  readonly retry: string;
  readonly attempts: number;
  readonly error: unknown;
  /** `exhausted` after maxAttempts, `not-retryable` for an error the policy does not retry. */
  readonly reason: 'exhausted' | 'not-retryable' | 'retry-after-too-long';
  /** For `not-retryable`: which rule refused the retry. */
  readonly refusedBy?: RetryRefusal;
}

/**
 * Which rule refused to retry an error: the caller's abort, `neverRetryOn`, the built-in never-list
 * (401/403; 400/422 and validation errors), the policy's `retryOn`, or the default retry set
 * (network errors, timeouts, HTTP 408/429/502/503/504) when no `retryOn` is given.
 */
export type RetryRefusal =
  'abort' | 'never-retry-on' | 'never-retry-auth' | 'never-retry-validation' | 'retry-on' | 'default-retry-on';

export interface TimeoutEvent {
  readonly timeout: string;
  readonly timeoutMs: number;
}

export interface BulkheadRejectedEvent {
  readonly bulkhead: string;
  readonly reason: BulkheadRejectionReason;
  readonly active: number;
  readonly queued: number;
}

export interface FallbackEvent {
  readonly fallback: string;
  readonly error: unknown;
}

export interface DeadLetterEvent {
  readonly queue: string;
  readonly id: string;
}

export interface ResilienceEventMap {
  'breaker.state': [BreakerStateEvent];
  retry: [RetryEvent];
  'retry.exhausted': [RetryExhaustedEvent];
  timeout: [TimeoutEvent];
  'bulkhead.rejected': [BulkheadRejectedEvent];
  fallback: [FallbackEvent];
  'dead-letter': [DeadLetterEvent];
}

/**
 * Every event the module raises, on one emitter: state changes, retries, timeouts, rejections,
 * fallbacks and dead letters. Nothing is emitted on the success path. Inject it (or read
 * `ResilienceEvents` from the app) and subscribe with `on('breaker.state', ...)`.
 */
export class ResilienceEvents extends EventEmitter<ResilienceEventMap> {
  /** Listener errors land here instead of in the call that raised the event. */
  onListenerError: (error: unknown) => void = () => undefined;

  constructor() {
    super({ captureRejections: false });
    this.setMaxListeners(50);
  }

  /** Emits without letting a listener's throw reach the protected call. */
  publish<K extends keyof ResilienceEventMap>(event: K, ...args: ResilienceEventMap[K]): void {
    if (this.listenerCount(event) === 0) return;
    try {
      (this.emit as (name: K, ...rest: ResilienceEventMap[K]) => boolean)(event, ...args);
    } catch (error) {
      this.onListenerError(error);
    }
  }
}

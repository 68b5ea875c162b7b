import type CircuitBreaker from 'opossum';

import { isAbortError, matchesAny } from '../errors/error-matchers.js';
import {
  BreakerOpenError,
  BulkheadRejectedError,
  TimeoutError,
  type BreakerStateName,
} from '../errors/resilience.errors.js';
import type { CallContext, Protected } from '../interfaces/call-context.interface.js';
import type { BreakerStateEvent, ResilienceEvents, TransitionReason } from '../resilience.events.js';
import { toContext } from '../timeout/call-context.js';
import { ProtectedCall, type DeadlineOwner } from '../timeout/protected-call.js';
import type { TimerWheel } from '../timeout/timer-wheel.js';
import { createEngine } from './breaker-engine.js';
import type { BreakerClassification, BreakerConfig } from './breaker.options.js';
import { BreakerStats } from './breaker.stats.js';
import type { RotationClock } from './rotation-clock.js';
import { CountWindow, TimeWindow, type SlidingWindow } from './sliding-window.js';

const CLOSED = 0;
const OPEN = 1;
const HALF_OPEN = 2;
const SHUTDOWN = 3;
/** Operator states (Resilience4j's FORCED_OPEN, DISABLED, METRICS_ONLY): held until reset(). */
const FORCED_OPEN = 4;
const DISABLED = 5;
const METRICS_ONLY = 6;
type State =
  | typeof CLOSED
  | typeof OPEN
  | typeof HALF_OPEN
  | typeof SHUTDOWN
  | typeof FORCED_OPEN
  | typeof DISABLED
  | typeof METRICS_ONLY;
const STATE_NAMES: readonly BreakerStateName[] = [
  'closed',
  'open',
  'half-open',
  'shutdown',
  'forced-open',
  'disabled',
  'metrics-only',
];
/** States another instance may set through shared state. */
export type RemoteBreakerState = 'open' | 'closed' | 'forced-open' | 'disabled' | 'metrics-only' | 'reset';

/** What every breaker of one module shares: clocks, the timer wheel, the rotation clock, events. */
export interface BreakerHost {
  /** Monotonic milliseconds (performance.now()). */
  readonly clock: () => number;
  readonly wheel: TimerWheel;
  readonly rotation: RotationClock;
  /** Buckets of each opossum engine's rolling statistics (the rotation clock's period each). */
  readonly engineBuckets: number;
  readonly events: ResilienceEvents;
  /** Told of every transition, after the events; shared state publishes the local ones. */
  transitioned?(breaker: Breaker, event: BreakerStateEvent): void;
}

export interface BreakerExecuteOptions {
  /** The caller's signal: reaches the function through `context.signal`. */
  readonly signal?: AbortSignal;
  /** The context of an enclosing policy (retry attempt), instead of `signal`. */
  readonly context?: CallContext;
  /** A deadline for this call, instead of the breaker's own `timeoutMs`. */
  readonly timeout?: DeadlineOwner;
}

/** A point-in-time view of one breaker, for health, reports and tests. */
export interface BreakerSnapshot {
  readonly name: string;
  readonly key?: string;
  readonly state: BreakerStateName;
  readonly failureRate: number;
  readonly slowCallRate: number;
  readonly bufferedCalls: number;
  readonly failedCalls: number;
  readonly slowCalls: number;
  readonly retryAfterMs: number;
  readonly halfOpenTrialsInFlight: number;
}

class BreakerTimeout implements DeadlineOwner {
  constructor(
    readonly name: string,
    readonly timeoutMs: number,
    readonly wheel: TimerWheel,
  ) {}

  armed(): void {}

  timedOut(): void {}
}

/** What the breaker remembers of a call it admitted. */
interface AdmittedCall {
  readonly generation: number;
  readonly trial: boolean;
  readonly startedAt: number;
}

/** One call through a breaker: remembers the generation and time it was admitted in. */
class BreakerCall<T> extends ProtectedCall<T> implements AdmittedCall {
  /** Read by the engine's errorFilter: true when our classifier did not count the error as a failure. */
  ignored = false;

  constructor(
    parent: CallContext | undefined,
    private readonly breaker: Breaker,
    readonly generation: number,
    readonly trial: boolean,
    readonly startedAt: number,
    private readonly callDeadline: DeadlineOwner | undefined,
  ) {
    super(parent);
  }

  start(fn: Protected<T>): Promise<T> {
    return this.run(fn, this.callDeadline, this.startedAt);
  }

  protected override succeeded(value: T): void {
    const recordResult = this.breaker.config.recordResult;
    if (recordResult !== undefined && recordResult(value)) this.breaker.recordFailure(this, false);
    else this.breaker.recordSuccess(this);
  }

  protected override failed(error: unknown, timedOut: boolean): void {
    this.ignored = this.breaker.recordError(this, error, timedOut);
  }

  /** A caller's abort says nothing about the dependency: counted as ignored, as an AbortError is. */
  protected override callerAborted(): void {
    this.ignored = true;
    this.breaker.recordIgnored(this);
  }
}

/**
 * A circuit breaker with resilience4j's semantics, executing on an opossum engine.
 *
 * Our code decides: a count- or time-based window, failure-rate and slow-call-rate thresholds
 * after a minimum number of calls, N trial calls when half-open of which M must succeed, and a
 * generation counter so that a call admitted before a transition can never decide the state after
 * it. The engine only executes: it is open while we are open (its reset timer brings an idle
 * breaker to half-open) and closed otherwise, because opossum's own half-open admits one call.
 */
export class Breaker {
  readonly engine: CircuitBreaker;
  private current: State = CLOSED;
  private generation = 0;
  private openUntil = 0;
  private trialsAdmitted = 0;
  private trialSuccesses = 0;
  private trialFailures = 0;
  /** Slow trials (successful or not), for the resilience4j half-open decision. */
  private trialSlow = 0;
  /** Who opened the breaker this time: a remote close only undoes a remote open. */
  private openedBy: 'local' | 'remote' = 'local';
  private readonly window: SlidingWindow;
  private readonly minimumCalls: number;
  private readonly ownTimeout: DeadlineOwner | undefined;

  constructor(
    readonly name: string,
    readonly config: BreakerConfig,
    private readonly host: BreakerHost,
    readonly stats: BreakerStats = new BreakerStats(),
    readonly key?: string,
  ) {
    const label = key === undefined ? name : `${name}[${key}]`;
    this.window =
      config.windowType === 'count'
        ? new CountWindow(config.windowSize)
        : new TimeWindow(config.windowDurationMs, config.windowBuckets);
    this.minimumCalls =
      config.windowType === 'count' ? Math.min(config.minimumCalls, config.windowSize) : config.minimumCalls;
    this.ownTimeout =
      config.timeoutMs === undefined ? undefined : new BreakerTimeout(label, config.timeoutMs, host.wheel);
    this.engine = createEngine({
      name: label,
      openDurationMs: config.openDurationMs,
      rotation: host.rotation,
      buckets: host.engineBuckets,
    });
    this.engine.on('halfOpen', () => {
      if (this.current === OPEN) this.transition(HALF_OPEN, 'open-duration-elapsed');
    });
  }

  /** Current state; an open breaker whose open duration has passed reads as half-open. */
  get state(): BreakerStateName {
    this.refresh();
    return STATE_NAMES[this.current]!;
  }

  /** Runs `fn` if the breaker lets it through; rejects with {@link BreakerOpenError} otherwise. */
  execute<T>(fn: Protected<T>, options?: BreakerExecuteOptions): Promise<T> {
    let trial = false;
    if (this.current !== CLOSED) {
      if (this.current === OPEN) {
        const now = this.host.clock();
        if (now < this.openUntil) return this.refuse(now);
        this.transition(HALF_OPEN, 'open-duration-elapsed');
      }
      const current = this.current;
      if (current === HALF_OPEN && this.trialsAdmitted < this.config.halfOpenTrials) {
        this.trialsAdmitted++;
        trial = true;
      } else if (current !== DISABLED && current !== METRICS_ONLY) {
        return this.refuse(this.host.clock());
      }
    }
    const parent = options === undefined ? undefined : (options.context ?? toContext(options.signal));
    const call = new BreakerCall<T>(
      parent,
      this,
      this.generation,
      trial,
      this.host.clock(),
      options?.timeout ?? this.ownTimeout,
    );
    return this.engine.call(undefined, fn, call) as Promise<T>;
  }

  /** Opens now, for `durationMs` (default: openDurationMs), whatever the window says. */
  forceOpen(durationMs?: number): void {
    this.transition(OPEN, 'forced', 'local', durationMs);
  }

  /** Closes and forgets the window, as after a deploy of the fixed dependency; also ends an operator state. */
  reset(): void {
    this.transition(CLOSED, 'reset');
    this.window.reset();
  }

  /** Rejects every call until reset() (Resilience4j's FORCED_OPEN): an operator's switch in an incident. */
  holdOpen(): void {
    this.transition(FORCED_OPEN, 'forced');
  }

  /** Lets every call through and keeps no window (counters still count) until reset() (Resilience4j's DISABLED). */
  disable(): void {
    this.transition(DISABLED, 'forced');
  }

  /** Lets every call through and keeps recording rates and events, but never opens, until reset() (METRICS_ONLY). */
  metricsOnly(): void {
    this.transition(METRICS_ONLY, 'forced');
  }

  /**
   * Applies a transition another instance published. Only a remotely caused open is closed
   * remotely; an operator state (set here or remotely) is left only by an operator state or a reset.
   */
  applyRemote(state: RemoteBreakerState, openForMs?: number): boolean {
    this.refresh();
    const operated = this.current === FORCED_OPEN || this.current === DISABLED || this.current === METRICS_ONLY;
    if (state === 'reset') {
      if (this.current === CLOSED) return false;
      this.transition(CLOSED, 'remote', 'remote');
      this.window.reset();
      return true;
    }
    if (state === 'forced-open' || state === 'disabled' || state === 'metrics-only') {
      const to = state === 'forced-open' ? FORCED_OPEN : state === 'disabled' ? DISABLED : METRICS_ONLY;
      if (this.current === to) return false;
      this.transition(to, 'remote', 'remote');
      return true;
    }
    if (operated) return false;
    if (state === 'open' && this.current !== OPEN) {
      this.transition(OPEN, 'remote', 'remote', openForMs);
      return true;
    }
    if (state === 'closed' && this.current !== CLOSED && this.openedBy === 'remote') {
      this.transition(CLOSED, 'remote', 'remote');
      return true;
    }
    return false;
  }

  /** Stops the engine (its rotation listener and reset timer); later calls are rejected. */
  shutdown(): void {
    if (this.current === SHUTDOWN) return;
    this.current = SHUTDOWN;
    this.generation++;
    this.engine.shutdown();
  }

  snapshot(): BreakerSnapshot {
    const now = this.host.clock();
    this.refresh(now);
    const w = this.window;
    w.refresh(now);
    const state = this.current;
    return {
      name: this.name,
      ...(this.key === undefined ? {} : { key: this.key }),
      state: STATE_NAMES[state]!,
      failureRate: w.calls === 0 ? 0 : (w.failures * 100) / w.calls,
      slowCallRate: w.calls === 0 ? 0 : (w.slowCalls * 100) / w.calls,
      bufferedCalls: w.calls,
      failedCalls: w.failures,
      slowCalls: w.slowCalls,
      retryAfterMs: state === OPEN ? Math.max(0, Math.ceil(this.openUntil - now)) : 0,
      halfOpenTrialsInFlight: state === HALF_OPEN ? this.trialsAdmitted - this.trialSuccesses - this.trialFailures : 0,
    };
  }

  /** @internal Called by the call object when the function succeeded. */
  recordSuccess(call: AdmittedCall): void {
    const now = this.host.clock();
    const duration = now - call.startedAt;
    const stats = this.stats;
    stats.successes++;
    stats.observe(duration);
    const slow = duration >= this.config.slowCallDurationMs;
    if (slow) stats.slowCalls++;
    if (call.generation !== this.generation) return;
    if (call.trial) this.trialOutcome(false, slow);
    else this.closedOutcome(false, slow, now);
  }

  /** @internal Called by the call object when the function failed; true when the error does not count as a failure. */
  recordError(call: AdmittedCall, error: unknown, timedOut: boolean): boolean {
    const verdict = this.classify(error);
    if (verdict === 'ignore') {
      this.recordIgnored(call);
      return true;
    }
    if (verdict === 'success') {
      this.recordSuccess(call);
      return true;
    }
    this.recordFailure(call, timedOut || error instanceof TimeoutError);
    return false;
  }

  /** @internal A failed call: an error that counts, or a result `recordResult` counts as failed. */
  recordFailure(call: AdmittedCall, timedOut: boolean): void {
    const stats = this.stats;
    const now = this.host.clock();
    const duration = now - call.startedAt;
    if (timedOut) stats.timeouts++;
    else stats.failures++;
    stats.observe(duration);
    const slow = duration >= this.config.slowCallDurationMs;
    if (slow) stats.slowCalls++;
    if (call.generation !== this.generation) return;
    if (call.trial) this.trialOutcome(true, slow);
    else this.closedOutcome(true, slow, now);
  }

  /** @internal A call whose outcome counts neither way. */
  recordIgnored(call: AdmittedCall): void {
    this.stats.ignored++;
    // An ignored trial gives its slot back, as resilience4j releases the permission.
    if (call.trial && call.generation === this.generation) this.trialsAdmitted--;
  }

  private classify(error: unknown): BreakerClassification {
    const { classify, ignoreErrors, recordErrors } = this.config;
    if (classify !== undefined) return classify(error);
    if (error instanceof BulkheadRejectedError || isAbortError(error)) return 'ignore';
    if (matchesAny(error, ignoreErrors)) return 'ignore';
    if (recordErrors !== undefined) return matchesAny(error, recordErrors) ? 'failure' : 'success';
    return 'failure';
  }

  private closedOutcome(failure: boolean, slow: boolean, now: number): void {
    if (this.current !== CLOSED) {
      // Metrics-only keeps the rates current (snapshot, metrics) without ever opening.
      if (this.current === METRICS_ONLY) this.window.record(failure, slow, now);
      return;
    }
    const w = this.window;
    w.record(failure, slow, now);
    if (w.calls < this.minimumCalls) return;
    if (w.failures * 100 >= this.config.failureRateThreshold * w.calls) this.transition(OPEN, 'failure-rate');
    else if (w.slowCalls * 100 >= this.config.slowCallRateThreshold * w.calls) this.transition(OPEN, 'slow-call-rate');
  }

  private trialOutcome(failure: boolean, slow: boolean): void {
    if (this.current !== HALF_OPEN) return;
    const { halfOpenTrials, halfOpenSuccesses } = this.config;
    if (this.config.halfOpenDecision === 'resilience4j') {
      // Resilience4j: the permitted calls fill a buffer of their own; decide on its rates once full.
      if (failure) this.trialFailures++;
      else this.trialSuccesses++;
      if (slow) this.trialSlow++;
      const done = this.trialSuccesses + this.trialFailures;
      if (done < halfOpenTrials) return;
      if (this.trialFailures * 100 >= this.config.failureRateThreshold * done) {
        this.transition(OPEN, 'half-open-failure-rate');
      } else if (this.trialSlow * 100 >= this.config.slowCallRateThreshold * done) {
        this.transition(OPEN, 'half-open-slow-call-rate');
      } else {
        this.transition(CLOSED, 'half-open-trials-succeeded');
      }
      return;
    }
    if (!failure && !slow) {
      if (++this.trialSuccesses >= halfOpenSuccesses) this.transition(CLOSED, 'half-open-trials-succeeded');
    } else if (++this.trialFailures > halfOpenTrials - halfOpenSuccesses) {
      this.transition(OPEN, 'half-open-trial-failed');
    }
  }

  private refresh(now = this.host.clock()): void {
    if (this.current === OPEN && now >= this.openUntil) this.transition(HALF_OPEN, 'open-duration-elapsed');
  }

  private refuse(now: number): Promise<never> {
    this.stats.shortCircuited++;
    const state = this.current;
    // Held open by an operator: no end is known; the open duration is the hint a client gets.
    const retryAfterMs = state === OPEN ? this.openUntil - now : state === FORCED_OPEN ? this.config.openDurationMs : 0;
    return Promise.reject(BreakerOpenError.create(this.name, this.key, STATE_NAMES[state]!, retryAfterMs));
  }

  private transition(to: State, reason: TransitionReason, origin: 'local' | 'remote' = 'local', openForMs?: number) {
    const from = this.current;
    if (from === SHUTDOWN || from === to) return;
    const w = this.window;
    const rates =
      from === CLOSED && w.calls > 0
        ? {
            failureRate: (w.failures * 100) / w.calls,
            slowCallRate: (w.slowCalls * 100) / w.calls,
            calls: w.calls,
          }
        : {};
    this.current = to;
    this.generation++;
    if (to === OPEN) this.openedBy = origin;
    this.trialsAdmitted = this.trialSuccesses = this.trialFailures = this.trialSlow = 0;
    let openFor: number | undefined;
    const engine = this.engine as CircuitBreaker & { options: { resetTimeout: number } };
    if (to === OPEN) {
      openFor = Math.max(1, Math.round(openForMs ?? this.config.openDurationMs));
      this.openUntil = this.host.clock() + openFor;
      this.stats.opened(Date.now());
      engine.options.resetTimeout = openFor;
      engine.open();
    } else if (to === FORCED_OPEN || to === DISABLED || to === METRICS_ONLY) {
      if (to === FORCED_OPEN) this.stats.opened(Date.now());
      // Leaving DISABLED or an automatic state: start the rates afresh. The engine stays closed
      // (its reset timer cleared): we refuse forced-open calls before they reach it.
      if (to !== METRICS_ONLY || from !== CLOSED) w.reset();
      engine.close();
    } else {
      if (to === HALF_OPEN) this.stats.halfOpens++;
      else {
        this.stats.closes++;
        w.reset();
      }
      // Clears the engine's reset timer; the engine stays closed while we are half-open.
      engine.close();
    }
    const event: BreakerStateEvent = {
      breaker: this.name,
      ...(this.key === undefined ? {} : { key: this.key }),
      from: STATE_NAMES[from]!,
      to: STATE_NAMES[to]!,
      reason,
      origin,
      ...rates,
      ...(openFor === undefined ? {} : { openForMs: openFor }),
    };
    this.host.events.publish('breaker.state', event);
    this.host.transitioned?.(this, event);
  }
}

import type { CallContext, Protected } from '../interfaces/call-context.interface.js';
import type { ResilienceEvents } from '../resilience.events.js';
import { toContext } from './call-context.js';
import { ProtectedCall, type DeadlineOwner } from './protected-call.js';
import type { TimerWheel } from './timer-wheel.js';

export class TimeoutStats {
  calls = 0;
  timeouts = 0;
}

/**
 * Gives each call its own deadline on the shared timer wheel (no timer per call) and its own
 * `AbortSignal`: when the deadline passes, that call's signal is aborted with a `TimeoutError` and
 * the call rejects with it; other calls are untouched.
 */
export class TimeoutPolicy implements DeadlineOwner {
  readonly stats = new TimeoutStats();

  constructor(
    readonly name: string,
    readonly timeoutMs: number,
    readonly wheel: TimerWheel,
    private readonly events?: ResilienceEvents,
  ) {
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
      throw new RangeError(`Timeout "${name}" must be a whole number of ms >= 1, got ${timeoutMs}`);
    }
  }

  execute<T>(fn: Protected<T>, parent?: CallContext | AbortSignal): Promise<T> {
    return new ProtectedCall<T>(toContext(parent)).run(fn, this);
  }

  /**
   * @internal Counted by the call when it starts under this deadline: a call that a breaker in
   * front of it refused never ran, so it is neither in time nor timed out.
   */
  armed(): void {
    this.stats.calls++;
  }

  /** @internal Counted by the call that ran out of time. */
  timedOut(): void {
    this.stats.timeouts++;
    this.events?.publish('timeout', { timeout: this.name, timeoutMs: this.timeoutMs });
  }
}

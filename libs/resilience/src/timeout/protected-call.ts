import { TimeoutError } from '../errors/resilience.errors.js';
import type { Protected } from '../interfaces/call-context.interface.js';
import { AbortableContext } from './call-context.js';
import type { TimerWheel, WheelEntry, WheelSlot } from './timer-wheel.js';

/** Who owns a deadline: its length, the wheel that keeps it, and who counts the timeouts. */
export interface DeadlineOwner {
  readonly name: string;
  readonly timeoutMs: number;
  readonly wheel: TimerWheel;
  /** Called once per call that starts under this deadline (not for one a breaker refused). */
  armed(): void;
  /** Called once per call that ran out of time. */
  timedOut(): void;
}

export function isThenable<T>(value: unknown): value is PromiseLike<T> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as PromiseLike<T>).then === 'function'
  );
}

/**
 * One call of a protected function, with an optional deadline on the shared wheel. A timeout
 * aborts this call's own signal and rejects with {@link TimeoutError}; whatever the function does
 * afterwards is ignored. Subclasses hook `succeeded`/`failed` to record the outcome before the
 * caller sees it.
 */
export class ProtectedCall<T> extends AbortableContext implements WheelEntry {
  /** The call whose promise is being created: lets one shared executor take the resolvers (no closure per call). */
  private static creating: ProtectedCall<unknown> | undefined;
  private static readonly captureResolvers = (resolve: (value: unknown) => void, reject: (error: unknown) => void) => {
    const call = ProtectedCall.creating!;
    call.resolveCall = resolve;
    call.rejectCall = reject;
  };

  protected settled = false;
  private slot: WheelSlot | undefined;
  private slotIndex = 0;
  private deadline: DeadlineOwner | undefined;
  /** The caller's signal this call listens to while it runs under a deadline. */
  private watched: AbortSignal | undefined;
  private resolveCall: ((value: T) => void) | undefined;
  private rejectCall: ((error: unknown) => void) | undefined;

  run(fn: Protected<T>, deadline?: DeadlineOwner, now?: number): Promise<T> {
    if (deadline === undefined) return this.runUntimed(fn);
    ProtectedCall.creating = this as ProtectedCall<unknown>;
    const promise = new Promise<T>(
      ProtectedCall.captureResolvers as (resolve: (value: T) => void, reject: (error: unknown) => void) => void,
    );
    ProtectedCall.creating = undefined;
    this.deadline = deadline;
    deadline.armed();
    const slot = deadline.wheel.schedule(this, deadline.timeoutMs, now);
    this.slot = slot;
    this.slotIndex = slot.used - 1;
    // The caller's abort ends the call at once (as retry does), not at the deadline. The call
    // object is the listener (handleEvent): no closure per call.
    const caller = this.parent?.callerSignal;
    if (caller !== undefined) {
      if (caller.aborted) {
        this.endByCaller(caller.reason);
        return promise;
      }
      this.watched = caller;
      caller.addEventListener('abort', this, { once: true });
    }
    let result: T | PromiseLike<T>;
    try {
      result = fn(this);
    } catch (error) {
      this.fail(error);
      return promise;
    }
    if (isThenable<T>(result)) {
      result.then(
        (value) => this.succeed(value),
        (error: unknown) => this.fail(error),
      );
    } else {
      this.succeed(result);
    }
    return promise;
  }

  /** Without a deadline nothing can settle the call but the function: one `then`, no promise of our own. */
  private runUntimed(fn: Protected<T>): Promise<T> {
    let result: T | PromiseLike<T>;
    try {
      result = fn(this);
    } catch (error) {
      this.settled = true;
      this.detach();
      this.failed(error, false);
      return Promise.reject(error);
    }
    if (!isThenable<T>(result)) {
      this.settled = true;
      this.succeeded(result);
      return Promise.resolve(result);
    }
    return Promise.resolve(result).then(
      (value) => {
        this.settled = true;
        this.detach();
        this.succeeded(value);
        return value;
      },
      (error: unknown) => {
        this.settled = true;
        this.detach();
        this.failed(error, false);
        throw error;
      },
    );
  }

  /** Deadline passed: abort this call only. */
  expire(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.watched !== undefined) {
      this.watched.removeEventListener('abort', this);
      this.watched = undefined;
    }
    const owner = this.deadline!;
    const error = TimeoutError.create(owner.timeoutMs, owner.name);
    this.abort(error);
    owner.timedOut();
    this.failed(error, true);
    this.rejectCall!(error);
  }

  /** The caller's signal fired while the call ran. */
  handleEvent(): void {
    this.endByCaller(this.watched!.reason);
  }

  /** Rejects with the caller's reason, as `fetch` and the retry policy do; the function's signal aborts with it. */
  private endByCaller(reason: unknown): void {
    if (!this.finish()) return;
    this.abort(reason);
    this.callerAborted(reason);
    this.rejectCall!(reason);
  }

  /** The caller gave up: by default neither a success nor a failure of the protected function. */
  protected callerAborted(_reason: unknown): void {}

  protected succeeded(_value: T): void {}

  protected failed(_error: unknown, _timedOut: boolean): void {}

  private succeed(value: T): void {
    if (!this.finish()) return;
    this.succeeded(value);
    this.resolveCall!(value);
  }

  private fail(error: unknown): void {
    if (!this.finish()) return;
    this.failed(error, false);
    this.rejectCall!(error);
  }

  private finish(): boolean {
    if (this.settled) return false;
    this.settled = true;
    if (this.slot !== undefined) this.deadline!.wheel.cancel(this.slot, this.slotIndex);
    if (this.watched !== undefined) {
      this.watched.removeEventListener('abort', this);
      this.watched = undefined;
    }
    this.detach();
    return true;
  }
}

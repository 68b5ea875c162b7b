import { BulkheadRejectedError, type BulkheadRejectionReason } from '../errors/resilience.errors.js';
import type { CallContext, Protected } from '../interfaces/call-context.interface.js';
import type { ResilienceEvents } from '../resilience.events.js';
import { AbortableContext, PlainContext, toContext } from '../timeout/call-context.js';
import { isThenable } from '../timeout/protected-call.js';
import type { TimerWheel, WheelEntry, WheelSlot } from '../timeout/timer-wheel.js';
import type { BulkheadConfig } from './bulkhead.options.js';

export class BulkheadStats {
  admitted = 0;
  /** Of the admitted calls, those that had to wait in the queue. */
  queuedThenAdmitted = 0;
  rejectedQueueFull = 0;
  rejectedQueueTimeout = 0;
  /** Highest number of calls running at once so far. */
  peakActive = 0;
}

/** A call waiting for a slot; expires on the shared wheel when its queue timeout passes. */
class Waiter implements WheelEntry {
  done = false;
  slot: WheelSlot | undefined;
  slotIndex = 0;

  constructor(
    private readonly bulkhead: BulkheadPolicy,
    readonly fn: Protected<unknown>,
    readonly context: CallContext,
    readonly resolve: (value: unknown) => void,
    readonly reject: (error: unknown) => void,
    readonly enqueuedAt: number,
    readonly callerSignal: AbortSignal | undefined,
  ) {}

  readonly onAbort = (): void => this.bulkhead.abandon(this, this.callerSignal!.reason);

  expire(): void {
    if (!this.done) this.bulkhead.timeOut(this);
  }
}

/**
 * Limits how many calls run at once; the surplus waits in a bounded FIFO queue for at most
 * `queueTimeoutMs` (on the shared timer wheel), and anything beyond is rejected at once with a
 * {@link BulkheadRejectedError} carrying the numbers.
 */
export class BulkheadPolicy {
  readonly stats = new BulkheadStats();
  private activeCount = 0;
  private readonly queue: Waiter[] = [];
  private queueHead = 0;
  private waiting = 0;
  private closed = false;

  constructor(
    readonly name: string,
    readonly config: BulkheadConfig,
    private readonly wheel: TimerWheel,
    private readonly events?: ResilienceEvents,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  get active(): number {
    return this.activeCount;
  }

  get queued(): number {
    return this.waiting;
  }

  execute<T>(fn: Protected<T>, parent?: CallContext | AbortSignal): Promise<T> {
    if (this.closed) return Promise.reject(this.rejection('shutdown'));
    const context = toContext(parent) ?? new PlainContext(undefined);
    if (this.activeCount < this.config.maxConcurrent) return this.start(fn, context, false);
    if (this.waiting >= this.config.maxQueue) return Promise.reject(this.rejection('queue-full'));
    const signal = parent instanceof AbortSignal ? parent : undefined;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      const waiter = new Waiter(this, fn, context, resolve as (value: unknown) => void, reject, this.clock(), signal);
      this.queue.push(waiter);
      this.waiting++;
      if (this.config.queueTimeoutMs > 0) {
        waiter.slot = this.wheel.schedule(waiter, this.config.queueTimeoutMs);
        waiter.slotIndex = waiter.slot.used - 1;
      }
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
    });
  }

  /** Rejects everything still queued; running calls finish on their own. */
  shutdown(): void {
    this.closed = true;
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const waiter = this.queue[i]!;
      if (!waiter.done) this.dequeue(waiter).reject(this.rejection('shutdown'));
    }
    this.queue.length = 0;
    this.queueHead = 0;
  }

  /** @internal */
  timeOut(waiter: Waiter): void {
    const waitedMs = Math.round(this.clock() - waiter.enqueuedAt);
    waiter.slot = undefined; // the wheel already dropped it
    this.dequeue(waiter).reject(this.rejection('queue-timeout', waitedMs));
  }

  /** @internal The caller's signal fired while it waited. */
  abandon(waiter: Waiter, reason: unknown): void {
    if (!waiter.done) this.dequeue(waiter).reject(reason);
  }

  private start<T>(fn: Protected<T>, context: CallContext, waited: boolean): Promise<T> {
    this.activeCount++;
    const stats = this.stats;
    stats.admitted++;
    if (waited) stats.queuedThenAdmitted++;
    if (this.activeCount > stats.peakActive) stats.peakActive = this.activeCount;
    let result: T | PromiseLike<T>;
    try {
      result = fn(context);
    } catch (error) {
      this.release();
      return Promise.reject(error);
    }
    if (!isThenable<T>(result)) {
      this.release();
      return Promise.resolve(result);
    }
    return Promise.resolve(result).then(
      (value) => {
        this.release();
        return value;
      },
      (error: unknown) => {
        this.release();
        throw error;
      },
    );
  }

  private release(): void {
    this.activeCount--;
    while (this.activeCount < this.config.maxConcurrent && this.waiting > 0) {
      const waiter = this.queue[this.queueHead];
      this.queueHead++;
      if (waiter === undefined || waiter.done) continue;
      this.dequeue(waiter);
      // An enclosing timeout may have given up on this call while it waited: do not start it.
      if (waiter.context instanceof AbortableContext && waiter.context.isAborted) {
        waiter.reject(new Error(`Bulkhead "${this.name}": the caller gave up while the call was queued`));
        continue;
      }
      waiter.resolve(this.start(waiter.fn, waiter.context, true));
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  /** Marks a waiter as out of the queue (it stays in the array as a tombstone until passed). */
  private dequeue(waiter: Waiter): Waiter {
    waiter.done = true;
    this.waiting--;
    if (waiter.slot !== undefined) {
      this.wheel.cancel(waiter.slot, waiter.slotIndex);
      waiter.slot = undefined;
    }
    waiter.callerSignal?.removeEventListener('abort', waiter.onAbort);
    return waiter;
  }

  private rejection(reason: BulkheadRejectionReason, waitedMs?: number): BulkheadRejectedError {
    if (reason === 'queue-full') this.stats.rejectedQueueFull++;
    else if (reason === 'queue-timeout') this.stats.rejectedQueueTimeout++;
    const error = BulkheadRejectedError.create({
      bulkhead: this.name,
      reason,
      maxConcurrent: this.config.maxConcurrent,
      maxQueue: this.config.maxQueue,
      active: this.activeCount,
      queued: this.waiting,
      queueTimeoutMs: this.config.queueTimeoutMs,
      ...(waitedMs === undefined ? {} : { waitedMs }),
    });
    this.events?.publish('bulkhead.rejected', {
      bulkhead: this.name,
      reason,
      active: this.activeCount,
      queued: this.waiting,
    });
    return error;
  }
}

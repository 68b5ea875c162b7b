/** A caller waiting for a resource: an intrusive list node, so removal on abort/timeout is O(1). */
export class Waiter<L> {
  prev: Waiter<L> | undefined = undefined;
  next: Waiter<L> | undefined = undefined;
  /** False once resolved, rejected or removed. */
  queued = true;
  onAbort: (() => void) | undefined = undefined;

  constructor(
    readonly resolve: (lease: L) => void,
    readonly reject: (error: unknown) => void,
    /** `performance.now()` when it started waiting. */
    readonly since: number,
    /** `performance.now()` past which it fails with PoolExhaustedError. */
    readonly deadline: number,
    readonly signal: AbortSignal | undefined,
    /** The acquirer's stack, when leak detection captures them. */
    readonly holder: { stack?: string } | undefined,
  ) {}
}

/** FIFO of waiters: push at the tail, serve from the head, unlink from anywhere. */
export class WaiterQueue<L> {
  head: Waiter<L> | undefined = undefined;
  tail: Waiter<L> | undefined = undefined;
  size = 0;

  push(waiter: Waiter<L>): void {
    waiter.prev = this.tail;
    if (this.tail) this.tail.next = waiter;
    else this.head = waiter;
    this.tail = waiter;
    this.size++;
  }

  shift(): Waiter<L> | undefined {
    const waiter = this.head;
    if (waiter) this.remove(waiter);
    return waiter;
  }

  remove(waiter: Waiter<L>): void {
    if (!waiter.queued) return;
    waiter.queued = false;
    if (waiter.prev) waiter.prev.next = waiter.next;
    else this.head = waiter.next;
    if (waiter.next) waiter.next.prev = waiter.prev;
    else this.tail = waiter.prev;
    waiter.prev = waiter.next = undefined;
    this.size--;
  }
}

/**
 * The outcomes a closed breaker decides on. Both windows keep running totals, so recording a call
 * and reading the rates cost the same whether the window holds ten calls or forty thousand.
 */
export interface SlidingWindow {
  /** Adds one outcome at `now` (ms, monotonic); the totals below are current afterwards. */
  record(failure: boolean, slow: boolean, now: number): void;
  /** Drops what has aged out by `now` (time windows), so the totals describe the window as of `now`. */
  refresh(now: number): void;
  readonly calls: number;
  readonly failures: number;
  readonly slowCalls: number;
  reset(): void;
}

const FAILURE = 1;
const SLOW = 2;

/** The last `size` calls, in a ring of one byte per call. */
export class CountWindow implements SlidingWindow {
  private readonly ring: Uint8Array;
  private next = 0;
  calls = 0;
  failures = 0;
  slowCalls = 0;

  constructor(readonly size: number) {
    this.ring = new Uint8Array(size);
  }

  record(failure: boolean, slow: boolean): void {
    const flags = (failure ? FAILURE : 0) | (slow ? SLOW : 0);
    if (this.calls === this.size) {
      const old = this.ring[this.next]!;
      if (old & FAILURE) this.failures--;
      if (old & SLOW) this.slowCalls--;
    } else {
      this.calls++;
    }
    this.ring[this.next] = flags;
    if (failure) this.failures++;
    if (slow) this.slowCalls++;
    this.next = this.next + 1 === this.size ? 0 : this.next + 1;
  }

  refresh(): void {}

  reset(): void {
    this.ring.fill(0);
    this.next = 0;
    this.calls = 0;
    this.failures = 0;
    this.slowCalls = 0;
  }
}

/**
 * Calls of the last `durationMs`, in `buckets` slices. Buckets are rotated when the window is
 * touched rather than by a timer: an idle breaker costs nothing, and a slice is cleared exactly
 * when its time has passed.
 */
export class TimeWindow implements SlidingWindow {
  private readonly bucketMs: number;
  private readonly callCounts: Uint32Array;
  private readonly failureCounts: Uint32Array;
  private readonly slowCounts: Uint32Array;
  /** Absolute number (now / bucketMs) of the newest bucket. */
  private head = -1;
  calls = 0;
  failures = 0;
  slowCalls = 0;

  constructor(
    readonly durationMs: number,
    readonly buckets: number,
  ) {
    this.bucketMs = durationMs / buckets;
    this.callCounts = new Uint32Array(buckets);
    this.failureCounts = new Uint32Array(buckets);
    this.slowCounts = new Uint32Array(buckets);
  }

  record(failure: boolean, slow: boolean, now: number): void {
    this.advance(now);
    const slot = this.head % this.buckets;
    this.callCounts[slot]!++;
    this.calls++;
    if (failure) {
      this.failureCounts[slot]!++;
      this.failures++;
    }
    if (slow) {
      this.slowCounts[slot]!++;
      this.slowCalls++;
    }
  }

  refresh(now: number): void {
    this.advance(now);
  }

  reset(): void {
    this.callCounts.fill(0);
    this.failureCounts.fill(0);
    this.slowCounts.fill(0);
    this.calls = this.failures = this.slowCalls = 0;
  }

  private advance(now: number): void {
    const current = Math.floor(now / this.bucketMs);
    if (current <= this.head) return;
    if (this.head < 0 || current - this.head >= this.buckets) {
      this.reset();
    } else {
      for (let abs = this.head + 1; abs <= current; abs++) {
        const slot = abs % this.buckets;
        this.calls -= this.callCounts[slot]!;
        this.failures -= this.failureCounts[slot]!;
        this.slowCalls -= this.slowCounts[slot]!;
        this.callCounts[slot] = this.failureCounts[slot] = this.slowCounts[slot] = 0;
      }
    }
    this.head = current;
  }
}

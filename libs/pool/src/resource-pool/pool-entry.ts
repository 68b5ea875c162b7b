import type { ResourceHandle } from '@ballast/core';

// Plain numbers rather than an enum: compared on every acquire and release.
export const CREATING = 0;
export const IDLE = 1;
export const BORROWED = 2;
export const VALIDATING = 3;
export const RETIRED = 4;
export type EntryState = typeof CREATING | typeof IDLE | typeof BORROWED | typeof VALIDATING | typeof RETIRED;

/** What the pool knows about one resource. Leases point at it directly: no lookup on the hot path. */
export class PoolEntry<T> {
  resource: T = undefined as T;
  state: EntryState = CREATING;
  createdAt = 0;
  /** `performance.now()` at which max lifetime (minus jitter) is reached; Infinity for never. */
  expiresAt = Number.POSITIVE_INFINITY;
  /** Last return to the pool: idle timeout counts from here. */
  returnedAt = 0;
  /** Last proof of life (return or validation): validation and keepalive count from here. */
  checkedAt = 0;
  borrowedAt = 0;
  /** Index in the pool's list of live entries, for O(1) removal. */
  slot = -1;
  broken = false;
  brokenReason: unknown = undefined;
  leakReported = false;
  /** The acquirer's stack, captured only when leak detection is on. */
  holder: { stack?: string } | undefined = undefined;
  lease: Lease<T> | undefined = undefined;
  handle: ResourceHandle | undefined = undefined;
}

/** The part of the pool a lease calls back into. */
export interface LeaseOwner<T> {
  releaseLease(lease: Lease<T>, error: unknown, destroy: boolean): void;
}

/**
 * One borrowing of one resource. `release()` is idempotent, so `await using lease = await pool.acquire()`
 * is safe next to an explicit release.
 */
export class Lease<T> implements AsyncDisposable, Disposable {
  /** True once returned (or revoked by a forced close). */
  released = false;

  constructor(
    private readonly owner: LeaseOwner<T>,
    /** @internal */ readonly entry: PoolEntry<T>,
    readonly resource: T,
  ) {}

  /** Returns the resource; with an error (or `true`) it is destroyed instead, as pg's `release(err)` does. */
  release(error?: unknown): void {
    if (!this.released) this.owner.releaseLease(this, error, error !== undefined && error !== false && error !== null);
  }

  /** Closes the resource instead of returning it. */
  destroy(reason?: unknown): void {
    if (!this.released) this.owner.releaseLease(this, reason, true);
  }

  /** How long it has been held, in milliseconds. */
  get heldMs(): number {
    return performance.now() - this.entry.borrowedAt;
  }

  [Symbol.dispose](): void {
    this.release();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return Promise.resolve();
  }
}

import { RedactingLogger } from '@ballast/core';

import {
  PoolClosedError,
  PoolExhaustedError,
  PoolQueueFullError,
  PoolUnavailableError,
  type PoolErrorNumbers,
} from '../errors/pool.errors.js';
import { CreateOutage } from './create-outage.js';
import { captureHolder, describeError, holdersMessage, leakMessage, leakReturnedMessage } from './leak-reports.js';
import { BucketHistogram, CREATE_BUCKETS_MS, USE_BUCKETS_MS, WAIT_BUCKETS_MS } from './bucket-histogram.js';
import { BORROWED, CREATING, IDLE, Lease, type LeaseOwner, PoolEntry, RETIRED, VALIDATING } from './pool-entry.js';
import type { PoolStats } from './pool-stats.js';
import {
  resolvePoolOptions,
  type AcquireOptions,
  type CreateContext,
  type PoolErrorKind,
  type PoolFactory,
  type PoolHooks,
  type PoolLogger,
  type ResolvedPoolOptions,
  type ResourcePoolOptions,
} from './resource-pool.options.js';
import { Waiter, WaiterQueue } from './waiter-queue.js';
import { socketParts } from './resource-parts.js';

const OPEN = 0;
const DRAINING = 1;
const CLOSED = 2;

/** Timers fire on libuv's millisecond clock; treat a deadline this close as reached. */
const TIMER_SLACK_MS = 1;

/** A holder that leak detection kept: who has it, for how long, and (when captured) from where. */
export interface PoolHolder {
  readonly heldMs: number;
  readonly stack?: string;
}

export interface DrainResult {
  /** Leases still out when the wait ended. */
  readonly outstanding: number;
  readonly holders: readonly PoolHolder[];
}

/**
 * A generic pool with HikariCP's semantics and an acquire path kept to a few field reads:
 * an idle resource is popped from a LIFO stack and lent without a timer, a Map or a lookup; a caller
 * that must wait joins a FIFO and one shared timer (armed for the earliest deadline) fails the
 * ones whose acquire timeout passes. Histograms live in plain arrays and are read at scrape.
 *
 * @example
 * const pool = new ResourcePool({ name: 'workers', max: 4, factory: { create: () => spawnWorker(), destroy: (w) => w.terminate() } });
 * await using lease = await pool.acquire({ signal });
 * await lease.resource.run(job);
 */
export class ResourcePool<T> implements LeaseOwner<T> {
  readonly name: string;
  readonly kind: string;
  readonly options: ResolvedPoolOptions;

  readonly waitTime = new BucketHistogram(WAIT_BUCKETS_MS);
  readonly useTime = new BucketHistogram(USE_BUCKETS_MS);
  readonly createTime = new BucketHistogram(CREATE_BUCKETS_MS);

  private readonly factory: PoolFactory<T>;
  private readonly logger: PoolLogger;
  private readonly hooks: PoolHooks<T>;
  private readonly validates: boolean;
  private readonly captureStacks: boolean;
  private readonly registry: ResourcePoolOptions<T>['resourceRegistry'];

  private state = OPEN;
  /** LIFO: the most recently returned resource is lent first, so the others can reach their idle timeout. */
  private readonly idle: PoolEntry<T>[] = [];
  /** Every live entry (idle, borrowed, validating); `entry.slot` is its index. */
  private readonly live: PoolEntry<T>[] = [];
  private readonly waiters = new WaiterQueue<Lease<T>>();
  private borrowed = 0;
  private validating = 0;
  private creating = 0;

  private timeouts = 0;
  private exhausted = 0;
  private leaks = 0;
  private created = 0;
  private destroyed = 0;
  private readonly errors: Record<PoolErrorKind, number> = { create: 0, validate: 0, destroy: 0, broken: 0 };

  /** Create failures in a row, their backoff and their logging. */
  private readonly outage: CreateOutage;
  /** `performance.now()` since which callers have been waiting without a break; -1 when none wait. */
  private waitingSince = -1;

  private waitTimer: NodeJS.Timeout | undefined = undefined;
  private waitTimerAt = Number.POSITIVE_INFINITY;
  private retryTimer: NodeJS.Timeout | undefined = undefined;
  private stopHousekeeping: (() => void) | undefined;
  private readonly createAborts = new Set<AbortController>();
  private readonly destroying = new Set<Promise<unknown>>();
  private drainWaiters: (() => void)[] = [];
  private closing: Promise<DrainResult> | undefined;

  constructor(options: ResourcePoolOptions<T>) {
    this.options = resolvePoolOptions(options);
    this.name = this.options.name;
    this.kind = this.options.kind;
    this.factory = options.factory;
    this.logger = options.logger ?? new RedactingLogger(`ResourcePool:${this.name}`);
    this.hooks = options.hooks ?? {};
    this.validates = typeof options.factory.validate === 'function';
    this.captureStacks = this.options.leakDetectionMs > 0 && this.options.leakDetectionStacks;
    this.registry = options.resourceRegistry;
    this.outage = new CreateOutage(
      this.name,
      this.logger,
      this.options.createRetryInitialMs,
      this.options.createRetryMaxMs,
    );
    const task = () => this.housekeep();
    const interval = this.options.housekeepingIntervalMs;
    if (options.scheduler) {
      this.stopHousekeeping = options.scheduler.every(`ballast-pool:${this.kind}:${this.name}`, interval, task);
    } else {
      const timer = setInterval(task, interval);
      timer.unref();
      this.stopHousekeeping = () => clearInterval(timer);
    }
    if (this.options.min > 0) this.pump();
  }

  // ---------------------------------------------------------------- acquire / release (hot path)

  /**
   * Borrows a resource. Resolves at once when one is idle; otherwise waits in line (FIFO) until one
   * is returned or created, failing with {@link PoolExhaustedError} after the acquire timeout, with
   * the signal's reason when `signal` aborts, or with {@link PoolClosedError} once draining.
   * Fails at once with {@link PoolQueueFullError} when `maxWaiters` callers already wait, and with
   * {@link PoolUnavailableError} while creates fail and no resource is out that could come back.
   */
  acquire(options?: AcquireOptions): Promise<Lease<T>> {
    if (this.state !== OPEN) return Promise.reject(this.closedError());
    const signal = options?.signal;
    if (signal !== undefined && signal.aborted) return Promise.reject(abortReason(signal));
    // Frames from acquire() inward are left out: the stack starts at whoever asked.
    const holder = this.captureStacks
      ? captureHolder(this.options.leakStackDepth, ResourcePool.prototype.acquire)
      : undefined;
    const now = performance.now();
    if (this.waiters.size === 0) {
      const idle = this.idle;
      while (idle.length > 0) {
        const entry = idle.pop()!;
        if (now >= entry.expiresAt || entry.broken) {
          this.retire(entry, entry.broken ? 'broken' : 'max lifetime');
          continue;
        }
        if (this.validates && now - entry.checkedAt > this.options.validateAfterIdleMs) {
          // Idle long enough to have died quietly: check it first, on the slow path.
          const pending = this.enqueue(options, now, holder);
          this.validateThenOffer(entry);
          return pending;
        }
        return Promise.resolve(this.lend(entry, now, 0, holder));
      }
    }
    if (this.outage.active && this.live.length === 0) {
      // HikariCP-style fail fast: nothing could be returned and creates fail, so waiting only delays the answer.
      this.pump(); // keeps the background probe going
      return Promise.reject(this.unavailableError(now, 0));
    }
    const pending = this.enqueue(options, now, holder);
    this.pump();
    return pending;
  }

  /** Acquires, runs `fn` with the resource and releases it, whatever `fn` does. */
  async use<R>(fn: (resource: T) => R | Promise<R>, options?: AcquireOptions): Promise<R> {
    const lease = await this.acquire(options);
    try {
      return await fn(lease.resource);
    } finally {
      lease.release();
    }
  }

  /** @internal Called by {@link Lease}. */
  releaseLease(lease: Lease<T>, error: unknown, destroy: boolean): void {
    lease.released = true;
    const entry = lease.entry;
    if (entry.lease !== lease) return; // revoked by a forced close
    entry.lease = undefined;
    const now = performance.now();
    this.useTime.observe(now - entry.borrowedAt);
    this.borrowed--;
    entry.state = IDLE;
    if (entry.leakReported) this.logger.warn(leakReturnedMessage(this.name, now - entry.borrowedAt));
    entry.holder = undefined;
    const hooks = this.hooks;
    if (hooks.released !== undefined) hooks.released(entry.resource);
    if (destroy || entry.broken || now >= entry.expiresAt || this.state !== OPEN) {
      this.retire(entry, destroy ? `released with ${describeError(error)}` : entry.broken ? 'broken' : 'max lifetime');
      if (this.state !== OPEN) this.checkDrained();
      else this.pump();
      return;
    }
    entry.returnedAt = entry.checkedAt = now;
    if (this.waiters.size === 0) {
      this.idle.push(entry);
      return;
    }
    this.handTo(this.waiters.shift()!, entry, now);
  }

  private lend(entry: PoolEntry<T>, now: number, waitedMs: number, holder: { stack?: string } | undefined): Lease<T> {
    entry.state = BORROWED;
    entry.borrowedAt = now;
    entry.leakReported = false;
    entry.holder = holder;
    this.borrowed++;
    this.waitTime.observe(waitedMs);
    const lease = new Lease<T>(this, entry, entry.resource);
    entry.lease = lease;
    const hooks = this.hooks;
    if (hooks.acquired !== undefined) hooks.acquired(entry.resource);
    return lease;
  }

  private handTo(waiter: Waiter<Lease<T>>, entry: PoolEntry<T>, now: number): void {
    this.unqueue(waiter);
    waiter.resolve(this.lend(entry, now, now - waiter.since, waiter.holder));
  }

  // ---------------------------------------------------------------- waiting

  private enqueue(options: AcquireOptions | undefined, now: number, holder: { stack?: string } | undefined) {
    if (this.waiters.size >= this.options.maxWaiters) {
      this.exhausted++;
      return Promise.reject(new PoolQueueFullError(this.options.maxWaiters, this.numbers(0)));
    }
    const timeoutMs = options?.timeoutMs ?? this.options.acquireTimeoutMs;
    const signal = options?.signal;
    return new Promise<Lease<T>>((resolve, reject) => {
      const waiter = new Waiter<Lease<T>>(resolve, reject, now, now + timeoutMs, signal, holder);
      if (this.waiters.size === 0) this.waitingSince = now;
      this.waiters.push(waiter);
      if (signal !== undefined) {
        waiter.onAbort = () => {
          if (!waiter.queued) return;
          this.unqueue(waiter);
          reject(abortReason(signal));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.armWaitTimer(waiter.deadline, now);
    });
  }

  private unqueue(waiter: Waiter<Lease<T>>): void {
    this.waiters.remove(waiter);
    if (waiter.onAbort !== undefined) waiter.signal!.removeEventListener('abort', waiter.onAbort);
    if (this.waiters.size === 0) {
      this.waitingSince = -1;
      // Nobody waits: the timer may lapse without keeping the process alive.
      this.waitTimer?.unref();
    }
  }

  private armWaitTimer(deadline: number, now: number): void {
    // Ref'd while callers wait, as pg.Pool's: a script awaiting an acquire gets its answer rather
    // than exiting with the promise unsettled.
    if (this.waitTimer !== undefined && this.waitTimerAt <= deadline) {
      this.waitTimer.ref();
      return;
    }
    if (this.waitTimer !== undefined) clearTimeout(this.waitTimer);
    this.waitTimerAt = deadline;
    this.waitTimer = setTimeout(this.onWaitTimer, Math.max(0, deadline - now) + TIMER_SLACK_MS);
  }

  /** One timer for all waiters: fails the ones past their deadline and re-arms for the next. */
  private readonly onWaitTimer = (): void => {
    this.waitTimer = undefined;
    this.waitTimerAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    for (let waiter = this.waiters.head; waiter !== undefined;) {
      const following = waiter.next;
      if (waiter.deadline <= now + TIMER_SLACK_MS) this.timeOut(waiter, now);
      else if (waiter.deadline < next) next = waiter.deadline;
      waiter = following;
    }
    if (next !== Number.POSITIVE_INFINITY && this.state !== CLOSED) this.armWaitTimer(next, now);
  };

  private timeOut(waiter: Waiter<Lease<T>>, now: number): void {
    this.unqueue(waiter);
    this.timeouts++;
    this.exhausted++;
    const waited = now - waiter.since;
    const cause = this.outage.active ? this.outage.lastError : undefined;
    waiter.reject(
      new PoolExhaustedError(
        `no resource within ${Math.round(waiter.deadline - waiter.since)} ms`,
        this.numbers(waited, waiter.deadline - waiter.since),
        cause === undefined ? undefined : { cause },
      ),
    );
  }

  // ---------------------------------------------------------------- supply: idle, validation, creation

  /** Serves waiters from the idle stack, then starts the creates that waiters and `min` call for. */
  private pump(): void {
    if (this.state === CLOSED) return;
    this.failHopelessWaiters();
    if (this.waiters.size > 0 && this.idle.length > 0) {
      const now = performance.now();
      while (this.waiters.size > 0 && this.idle.length > 0) {
        const entry = this.idle.pop()!;
        if (now >= entry.expiresAt || entry.broken) {
          this.retire(entry, entry.broken ? 'broken' : 'max lifetime');
        } else if (this.validates && now - entry.checkedAt > this.options.validateAfterIdleMs) {
          this.validateThenOffer(entry);
        } else {
          this.handTo(this.waiters.shift()!, entry, now);
        }
      }
    }
    if (this.state !== OPEN) return;
    const size = this.live.length + this.creating;
    let wanted = Math.max(this.waiters.size - this.creating - this.validating, this.options.min - size);
    // During an outage a probe keeps running in the background, wanted or not: the first success ends it.
    if (this.outage.active) wanted = Math.max(wanted, 1);
    let count = Math.min(wanted, this.options.max - size);
    if (count <= 0) return;
    if (this.outage.active) {
      // One probe per backoff step. A probe that hangs (a cut network) does not hold back the next
      // one, so the pool notices a restored server within a step, not a connect timeout later.
      const now = performance.now();
      if (now < this.outage.nextAttemptAt) {
        this.armRetry(this.outage.nextAttemptAt - now);
        return;
      }
      this.outage.probing(now);
      this.armRetry(this.outage.nextAttemptAt - now);
      count = 1;
    }
    for (; count > 0; count--) this.startCreate();
  }

  private armRetry(delayMs: number): void {
    if (this.retryTimer !== undefined) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, delayMs + TIMER_SLACK_MS);
    this.retryTimer.unref();
  }

  private startCreate(): void {
    this.creating++;
    const entry = new PoolEntry<T>();
    const started = performance.now();
    const abort = new AbortController();
    this.createAborts.add(abort);
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      const error = new Error(`no connection within ${this.options.connectTimeoutMs} ms (connect timeout)`);
      abort.abort(error);
      this.createFailed(entry, error);
    }, this.options.connectTimeoutMs);
    timer.unref();
    const context: CreateContext = { signal: abort.signal, invalidate: (reason) => this.invalidate(entry, reason) };
    // Not tracked for close(): a factory that ignores its signal may never settle; the timer above ends it for us.
    void Promise.resolve()
      .then(() => this.factory.create(context))
      .then(
        (resource) => {
          if (settled) {
            // Arrived after its connect timeout or after close: nobody counts on it any more.
            this.destroyQuietly(resource);
            return;
          }
          settled = true;
          clearTimeout(timer);
          this.createSucceeded(entry, resource, started);
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          this.createFailed(entry, error);
        },
      )
      .finally(() => this.createAborts.delete(abort));
  }

  private createSucceeded(entry: PoolEntry<T>, resource: T, started: number): void {
    this.creating--;
    const now = performance.now();
    this.createTime.observe(now - started);
    this.outage.succeeded(now);
    this.created++;
    entry.resource = resource;
    entry.createdAt = entry.returnedAt = entry.checkedAt = now;
    const { maxLifetimeMs, maxLifetimeJitter } = this.options;
    entry.expiresAt =
      maxLifetimeMs > 0 ? now + maxLifetimeMs * (1 - maxLifetimeJitter * Math.random()) : Number.POSITIVE_INFINITY;
    entry.slot = this.live.length;
    this.live.push(entry);
    if (this.registry?.tracking && typeof resource === 'object' && resource !== null) {
      entry.handle = this.registry.register(resource, {
        type: this.options.resourceType,
        owner: `pool:${this.kind}:${this.name}`,
        longLived: true,
        parts: socketParts(resource),
      });
    }
    this.hooks.created?.(resource);
    if (this.state !== OPEN || entry.broken) {
      this.retire(entry, entry.broken ? 'broken' : 'pool closing');
      this.pump();
      return;
    }
    this.offer(entry, now);
    this.pump();
  }

  private createFailed(entry: PoolEntry<T>, error: unknown): void {
    this.creating--;
    entry.state = RETIRED;
    if (this.state !== OPEN) return; // aborted by drain/close: not a failure of the server
    this.errors.create++;
    this.outage.failed(error, performance.now());
    this.hooks.error?.(error, 'create');
    this.pump();
  }

  /**
   * While creates fail and nothing alive could be returned, tells the waiters now rather than at
   * their timeout; as many as creates still in flight (a burst at start-up) keep their place.
   */
  private failHopelessWaiters(): void {
    if (!this.outage.active || this.live.length > 0 || this.waiters.size === 0) return;
    const now = performance.now();
    let keep = this.creating;
    for (let waiter = this.waiters.head; waiter !== undefined;) {
      const following = waiter.next;
      if (keep > 0) keep--;
      else {
        this.unqueue(waiter);
        waiter.reject(this.unavailableError(now, now - waiter.since));
      }
      waiter = following;
    }
  }

  private unavailableError(now: number, waitedMs: number): PoolUnavailableError {
    this.exhausted++;
    return new PoolUnavailableError(this.outage.failures, this.numbers(waitedMs, undefined, now), {
      cause: this.outage.lastError,
    });
  }

  /** A resource free for the taking: to the longest waiter, else onto the idle stack. */
  private offer(entry: PoolEntry<T>, now: number): void {
    if (this.state !== OPEN || entry.broken || now >= entry.expiresAt) {
      this.retire(entry, this.state !== OPEN ? 'pool closing' : entry.broken ? 'broken' : 'max lifetime');
      return;
    }
    const waiter = this.waiters.head;
    if (waiter !== undefined) {
      this.handTo(this.waiters.shift()!, entry, now);
      return;
    }
    entry.state = IDLE;
    this.idle.push(entry);
  }

  private validateThenOffer(entry: PoolEntry<T>): void {
    entry.state = VALIDATING;
    this.validating++;
    const abort = new AbortController();
    let settled = false;
    const done = (ok: boolean, error?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (entry.state !== VALIDATING) return; // retired by drain/close meanwhile
      this.validating--;
      entry.state = IDLE;
      const now = performance.now();
      if (ok && !entry.broken) {
        entry.checkedAt = now;
        this.offer(entry, now);
      } else {
        this.errors.validate++;
        this.hooks.error?.(error ?? new Error('validation failed'), 'validate', entry.resource);
        this.retire(entry, `validation failed${error ? `: ${describeError(error)}` : ''}`);
      }
      if (this.state === OPEN) this.pump();
      else this.checkDrained();
    };
    const timer = setTimeout(() => {
      const error = new Error(`no answer within ${this.options.validationTimeoutMs} ms (validation timeout)`);
      abort.abort(error);
      done(false, error);
    }, this.options.validationTimeoutMs);
    timer.unref();
    void Promise.resolve()
      .then(() => this.factory.validate!(entry.resource, abort.signal))
      .then(
        (ok) => done(ok !== false),
        (error: unknown) => done(false, error),
      );
  }

  /** Removes an entry for good and destroys its resource in the background. */
  private retire(entry: PoolEntry<T>, reason: string): void {
    if (entry.state === RETIRED) return;
    if (entry.state === BORROWED) this.borrowed--;
    if (entry.state === VALIDATING) this.validating--;
    entry.state = RETIRED;
    entry.lease = undefined;
    const live = this.live;
    const slot = entry.slot;
    if (slot >= 0) {
      const last = live.pop()!;
      if (last !== entry) {
        live[slot] = last;
        last.slot = slot;
      }
      entry.slot = -1;
    }
    this.destroyed++;
    entry.handle?.release();
    this.hooks.destroyed?.(entry.resource, reason);
    this.destroyQuietly(entry.resource);
  }

  private destroyQuietly(resource: T): void {
    const work = Promise.resolve()
      .then(() => this.factory.destroy(resource))
      .catch((error: unknown) => {
        this.errors.destroy++;
        this.hooks.error?.(error, 'destroy', resource);
        this.logger.warn(`Pool "${this.name}": destroying a resource failed: ${describeError(error)}`);
      });
    this.destroying.add(work);
    void work.finally(() => this.destroying.delete(work));
  }

  private invalidate(entry: PoolEntry<T>, reason: unknown): void {
    if (entry.broken || entry.state === RETIRED) return;
    entry.broken = true;
    entry.brokenReason = reason;
    if (entry.state === CREATING) return;
    this.errors.broken++;
    this.hooks.error?.(reason, 'broken', entry.resource);
    if (entry.state === IDLE) {
      // Never fatal: an idle resource that fails is logged, counted and replaced.
      const index = this.idle.indexOf(entry);
      if (index >= 0) this.idle.splice(index, 1);
      this.logger.warn(`Pool "${this.name}": an idle resource failed and was removed: ${describeError(reason)}`);
      this.retire(entry, 'broken while idle');
      this.pump();
    }
  }

  // ---------------------------------------------------------------- housekeeping

  /** Idle reaping, max lifetime, keepalive, min size and leak scan; runs every `housekeepingIntervalMs`. */
  housekeep(): void {
    if (this.state === CLOSED) return;
    const now = performance.now();
    const { leakDetectionMs, idleTimeoutMs, keepaliveMs, min } = this.options;
    if (leakDetectionMs > 0) {
      for (const entry of this.live) {
        if (entry.state === BORROWED && !entry.leakReported && now - entry.borrowedAt >= leakDetectionMs) {
          entry.leakReported = true;
          this.leaks++;
          this.logger.warn(
            leakMessage(
              this.name,
              now - entry.borrowedAt,
              leakDetectionMs,
              entry.holder,
              this.options.leakDetectionStacks,
            ),
          );
        }
      }
    }
    if (this.idle.length > 0) {
      let removable = this.live.length - min;
      const kept: PoolEntry<T>[] = [];
      // Bottom of the stack first: those have been idle longest.
      for (const entry of this.idle) {
        if (now >= entry.expiresAt || entry.broken) {
          this.retire(entry, entry.broken ? 'broken' : 'max lifetime');
          removable--;
        } else if (idleTimeoutMs > 0 && removable > 0 && now - entry.returnedAt > idleTimeoutMs) {
          this.retire(entry, 'idle timeout');
          removable--;
        } else if (keepaliveMs > 0 && this.validates && now - entry.checkedAt > keepaliveMs) {
          this.validateThenOffer(entry);
        } else {
          kept.push(entry);
        }
      }
      if (kept.length !== this.idle.length) {
        this.idle.length = 0;
        for (const entry of kept) this.idle.push(entry);
      }
    }
    if (this.state === OPEN) this.pump();
  }

  // ---------------------------------------------------------------- drain / close

  /**
   * Stops lending: waiters and new acquires fail with {@link PoolClosedError}, idle resources close,
   * and the returned promise resolves once every lease is back or `timeoutMs` has passed (then
   * listing the holders, with their stacks when leak detection captured them).
   */
  async drain(timeoutMs: number = this.options.shutdownTimeoutMs): Promise<DrainResult> {
    if (this.state === OPEN) {
      this.state = DRAINING;
      for (let waiter = this.waiters.head; waiter !== undefined;) {
        const following = waiter.next;
        this.unqueue(waiter);
        waiter.reject(this.closedError());
        waiter = following;
      }
      while (this.idle.length > 0) this.retire(this.idle.pop()!, 'pool draining');
      for (const abort of this.createAborts) abort.abort(this.closedError());
    }
    if (this.borrowed > 0 && timeoutMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        timer.unref();
        this.drainWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
        this.checkDrained();
      });
    }
    const holders = this.holders();
    if (holders.length > 0) this.logger.warn(holdersMessage(this.name, holders, timeoutMs));
    return { outstanding: holders.length, holders };
  }

  /** Drains (up to `timeoutMs`), then closes every resource, revoking leases still out. Idempotent. */
  close(timeoutMs: number = this.options.shutdownTimeoutMs): Promise<DrainResult> {
    this.closing ??= this.closeOnce(timeoutMs);
    return this.closing;
  }

  private async closeOnce(timeoutMs: number): Promise<DrainResult> {
    const result = await this.drain(timeoutMs);
    this.state = CLOSED;
    this.stopHousekeeping?.();
    this.stopHousekeeping = undefined;
    if (this.waitTimer !== undefined) clearTimeout(this.waitTimer);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.waitTimer = this.retryTimer = undefined;
    for (const entry of [...this.live]) {
      if (entry.lease) entry.lease.released = true;
      this.retire(entry, 'pool closed');
    }
    await this.awaitDestroys();
    return result;
  }

  /** Waits for destroys in flight, but no longer than the connect timeout: a dead server must not hang shutdown. */
  private async awaitDestroys(): Promise<void> {
    if (this.destroying.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.options.connectTimeoutMs);
      timer.unref();
    });
    const settled = (async () => {
      while (this.destroying.size > 0) await Promise.allSettled([...this.destroying]);
      return false;
    })();
    if (await Promise.race([settled, gaveUp])) {
      this.logger.warn(
        `Pool "${this.name}": ${this.destroying.size} resource(s) still closing after ${this.options.connectTimeoutMs} ms; left behind`,
      );
    }
    clearTimeout(timer);
  }

  private checkDrained(): void {
    if (this.borrowed > 0 || this.drainWaiters.length === 0) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Leases out right now, oldest first. */
  holders(): PoolHolder[] {
    const now = performance.now();
    return this.live
      .filter((entry) => entry.state === BORROWED)
      .sort((a, b) => a.borrowedAt - b.borrowedAt)
      .map((entry) => ({ heldMs: now - entry.borrowedAt, stack: entry.holder?.stack }));
  }

  // ---------------------------------------------------------------- numbers

  get size(): number {
    return this.live.length;
  }

  get idleCount(): number {
    return this.idle.length;
  }

  get usedCount(): number {
    return this.borrowed;
  }

  get pendingCount(): number {
    return this.waiters.size;
  }

  get creatingCount(): number {
    return this.creating;
  }

  get isOpen(): boolean {
    return this.state === OPEN;
  }

  get isClosed(): boolean {
    return this.state === CLOSED;
  }

  /** Everything metrics, health and reports need; cheap enough to call on every scrape. */
  stats(): PoolStats {
    const now = performance.now();
    return {
      name: this.name,
      kind: this.kind,
      state: this.state === OPEN ? 'open' : this.state === DRAINING ? 'draining' : 'closed',
      min: this.options.min,
      max: this.options.max,
      size: this.live.length,
      used: this.borrowed,
      idle: this.idle.length,
      validating: this.validating,
      creating: this.creating,
      pending: this.waiters.size,
      waitingForMs: this.waitingSince < 0 ? 0 : now - this.waitingSince,
      acquireTimeoutMs: this.options.acquireTimeoutMs,
      timeouts: this.timeouts,
      exhausted: this.exhausted,
      leaks: this.leaks,
      created: this.created,
      destroyed: this.destroyed,
      errors: { ...this.errors },
      lastCreateError: this.outage.active ? describeError(this.outage.lastError) : undefined,
      waitTime: this.waitTime.snapshot(),
      useTime: this.useTime.snapshot(),
      createTime: this.createTime.snapshot(),
    };
  }

  private numbers(waitedMs?: number, acquireTimeoutMs?: number, now = performance.now()): PoolErrorNumbers {
    return {
      pool: this.name,
      kind: this.kind,
      size: this.live.length,
      max: this.options.max,
      used: this.borrowed,
      idle: this.idle.length,
      pending: this.waiters.size,
      creating: this.creating,
      waitedMs,
      acquireTimeoutMs,
      lastCreateError: this.outage.active ? describeError(this.outage.lastError) : undefined,
      retryAfterMs: this.outage.active ? this.outage.retryAfterMs(now) : undefined,
    };
  }

  private closedError(): PoolClosedError {
    return new PoolClosedError(this.state === CLOSED ? 'closed' : 'draining', this.numbers());
  }
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The acquire was aborted', 'AbortError');
}

import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';

import { HTTP_MEANING } from '@ballast/core';

import {
  PoolClosedError,
  PoolCreateError,
  PoolExhaustedError,
  PoolQueueFullError,
  PoolUnavailableError,
} from '../errors/pool.errors.js';
import { ResourcePool } from './resource-pool.js';
import type { CreateContext, PoolFactory, PoolLogger, ResourcePoolOptions } from './resource-pool.options.js';

interface Conn {
  id: number;
  context: CreateContext;
  destroyed: boolean;
}

/** A factory whose behaviour each test steers: fail, hang, or answer validation as told. */
class FakeFactory implements PoolFactory<Conn> {
  created: Conn[] = [];
  destroyed: Conn[] = [];
  validated: Conn[] = [];
  createCalls = 0;
  failWith: Error | undefined;
  hang = false;
  valid = true;
  private next = 1;

  async create(context: CreateContext): Promise<Conn> {
    this.createCalls++;
    if (this.hang) return new Promise<Conn>(() => undefined);
    await Promise.resolve();
    if (this.failWith) throw this.failWith;
    const conn = { id: this.next++, context, destroyed: false };
    this.created.push(conn);
    return conn;
  }

  destroy(conn: Conn): void {
    conn.destroyed = true;
    this.destroyed.push(conn);
  }

  validate(conn: Conn): boolean {
    this.validated.push(conn);
    return this.valid;
  }
}

class CapturingLogger implements PoolLogger {
  readonly warnings: string[] = [];
  readonly logs: string[] = [];
  readonly debugs: string[] = [];
  log(message: string): void {
    this.logs.push(message);
  }
  debug(message: string): void {
    this.debugs.push(message);
  }
  warn(message: string): void {
    this.warnings.push(message);
  }
  error(message: string): void {
    this.warnings.push(message);
  }
}

const pools: ResourcePool<Conn>[] = [];

function makePool(options: Partial<ResourcePoolOptions<Conn>> = {}, factory = new FakeFactory()) {
  const logger = new CapturingLogger();
  const pool = new ResourcePool<Conn>({ name: 'test', max: 3, factory, logger, ...options });
  pools.push(pool);
  return { pool, factory, logger };
}

/** Lets promise callbacks run without moving the fake clock. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

beforeEach(() => {
  jest.useFakeTimers();
});

afterEach(async () => {
  jest.useRealTimers();
  await Promise.all(pools.splice(0).map((p) => p.close(0)));
});

describe('ResourcePool acquire and release', () => {
  it('creates lazily, then lends the most recently returned resource first (LIFO)', async () => {
    const { pool, factory } = makePool();
    const a = await pool.acquire();
    const b = await pool.acquire();
    expect(factory.createCalls).toBe(2);
    a.release();
    b.release();
    const again = await pool.acquire();
    expect(again.resource).toBe(b.resource);
    expect(factory.createCalls).toBe(2);
    again.release();
  });

  it('arms no timer when an idle resource is there', async () => {
    const { pool } = makePool();
    (await pool.acquire()).release();
    const spy = jest.spyOn(globalThis, 'setTimeout');
    for (let i = 0; i < 100; i++) (await pool.acquire()).release();
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });

  it('serves waiters first come, first served (FIFO)', async () => {
    const { pool } = makePool({ max: 1 });
    const held = await pool.acquire();
    const order: number[] = [];
    const waiting = [1, 2, 3].map((n) =>
      pool.acquire().then((lease) => {
        order.push(n);
        lease.release();
      }),
    );
    await settle();
    expect(pool.pendingCount).toBe(3);
    held.release();
    await Promise.all(waiting);
    expect(order).toEqual([1, 2, 3]);
  });

  it('shares one timer between waiters with the same timeout', async () => {
    const { pool } = makePool({ max: 1, acquireTimeoutMs: 1_000 });
    const held = await pool.acquire();
    // Let the timer armed by the first (creating) acquire run out, so the next waiter must arm one.
    await jest.advanceTimersByTimeAsync(1_100);
    const spy = jest.spyOn(globalThis, 'setTimeout');
    const waiting = Array.from({ length: 10 }, () => pool.acquire().catch((e: unknown) => e));
    await settle();
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
    await jest.advanceTimersByTimeAsync(1_100);
    expect((await Promise.all(waiting)).every((e) => e instanceof PoolExhaustedError)).toBe(true);
    held.release();
  });

  it('fails k of N+k holders with PoolExhaustedError carrying the numbers', async () => {
    const { pool } = makePool({ max: 3, acquireTimeoutMs: 500 });
    const outcomes = Promise.allSettled(Array.from({ length: 5 }, () => pool.acquire()));
    await jest.advanceTimersByTimeAsync(600);
    const results = await outcomes;
    const failures = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
    expect(failures).toHaveLength(2);
    for (const error of failures) {
      expect(error).toBeInstanceOf(PoolExhaustedError);
      expect(error.message).toMatch(/Pool "test" exhausted: no resource within 500 ms/);
      expect(error.message).toMatch(/size 3\/3, used 3, idle 0, pending \d, waited \d+ ms/);
      expect(error.numbers).toMatchObject({ pool: 'test', size: 3, max: 3, used: 3, idle: 0 });
      expect(error.numbers.waitedMs).toBeGreaterThanOrEqual(500);
    }
    expect(pool.stats()).toMatchObject({ timeouts: 2, exhausted: 2, used: 3, pending: 0 });
    for (const r of results) if (r.status === 'fulfilled') r.value.release();
  });

  it('applies a per-call timeout shorter than the pool default', async () => {
    const { pool } = makePool({ max: 1, acquireTimeoutMs: 10_000 });
    const held = await pool.acquire();
    const slow = pool.acquire().catch((e: unknown) => e);
    const fast = pool.acquire({ timeoutMs: 100 }).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(150);
    expect(await fast).toBeInstanceOf(PoolExhaustedError);
    expect(pool.pendingCount).toBe(1);
    held.release();
    const lease = await slow;
    expect(lease).not.toBeInstanceOf(Error);
    (lease as { release(): void }).release();
  });

  it('stops waiting when the signal aborts, with the signal reason', async () => {
    const { pool } = makePool({ max: 1 });
    const held = await pool.acquire();
    const controller = new AbortController();
    const waiting = pool.acquire({ signal: controller.signal }).catch((e: unknown) => e);
    await settle();
    expect(pool.pendingCount).toBe(1);
    controller.abort(new Error('client went away'));
    expect(((await waiting) as Error).message).toBe('client went away');
    expect(pool.pendingCount).toBe(0);
    await expect(pool.acquire({ signal: controller.signal })).rejects.toThrow('client went away');
    held.release();
    expect(pool.idleCount).toBe(1);
  });

  it('releases through use() even when the callback throws', async () => {
    const { pool } = makePool();
    await expect(
      pool.use(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(pool.stats()).toMatchObject({ used: 0, idle: 1 });
    await expect(pool.use((conn) => conn.id)).resolves.toBe(1);
  });

  it('releases at the end of an `await using` scope and ignores a second release', async () => {
    const { pool } = makePool();
    {
      await using lease = await pool.acquire();
      expect(pool.usedCount).toBe(1);
      lease.release(); // an explicit release inside the scope is fine too
    }
    expect(pool.stats()).toMatchObject({ used: 0, idle: 1, size: 1 });
    {
      await using lease = await pool.acquire();
      expect(lease.resource.id).toBe(1);
    }
    expect(pool.usedCount).toBe(0);
  });

  it('destroys a resource released with an error instead of reusing it', async () => {
    const { pool, factory } = makePool();
    const lease = await pool.acquire();
    lease.release(new Error('protocol out of sync'));
    await settle();
    expect(factory.destroyed).toEqual([lease.resource]);
    expect(pool.size).toBe(0);
    const next = await pool.acquire();
    expect(next.resource.id).toBe(2);
    next.release();
  });

  it('records wait, use and create times in its histograms', async () => {
    const { pool } = makePool({ max: 1 });
    const lease = await pool.acquire();
    const waiting = pool.acquire();
    await jest.advanceTimersByTimeAsync(40);
    lease.release();
    (await waiting).release();
    const stats = pool.stats();
    expect(stats.waitTime.count).toBe(2);
    expect(stats.waitTime.sumMs).toBeGreaterThanOrEqual(40);
    expect(stats.useTime.count).toBe(2);
    expect(stats.createTime.count).toBe(1);
  });

  it('refuses more waiters than maxWaiters at once with PoolQueueFullError', async () => {
    const { pool } = makePool({ max: 1, maxWaiters: 1, kind: 'database' });
    const held = await pool.acquire();
    const first = pool.acquire();
    const refused = (await pool.acquire().catch((e: unknown) => e)) as PoolQueueFullError;
    expect(refused).toBeInstanceOf(PoolQueueFullError);
    expect(refused).toBeInstanceOf(PoolExhaustedError);
    expect(refused.message).toMatch(/1 callers already waiting \(maxWaiters\)/);
    expect(refused[HTTP_MEANING]()).toEqual({
      status: 503,
      code: 'pool_queue_full',
      dependency: 'database:test',
      retryAfterMs: 1_000,
    });
    expect(pool.stats().exhausted).toBe(1);
    held.release();
    (await first).release();
  });
});

describe('ResourcePool sizing and lifetime', () => {
  it('opens min resources at start and keeps them after idle reaping', async () => {
    const { pool, factory } = makePool({ min: 2, max: 4, idleTimeoutMs: 1_000, housekeepingIntervalMs: 100 });
    await settle();
    expect(pool.size).toBe(2);
    const leases = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire(), pool.acquire()]);
    for (const lease of leases) lease.release();
    expect(pool.size).toBe(4);
    await jest.advanceTimersByTimeAsync(1_200);
    expect(pool.size).toBe(2);
    expect(factory.destroyed).toHaveLength(2);
  });

  it('retires resources at max lifetime, shortened by at most the jitter, and replaces them up to min', async () => {
    const { pool, factory } = makePool({
      min: 1,
      maxLifetimeMs: 10_000,
      maxLifetimeJitter: 0.1,
      housekeepingIntervalMs: 50,
    });
    await settle();
    const first = factory.created[0]!;
    await jest.advanceTimersByTimeAsync(8_900);
    expect(first.destroyed).toBe(false);
    await jest.advanceTimersByTimeAsync(1_200);
    expect(first.destroyed).toBe(true);
    expect(pool.size).toBe(1);
    expect(factory.created).toHaveLength(2);
  });

  it('retires a resource that reached max lifetime while lent when it comes back', async () => {
    const { pool, factory } = makePool({ maxLifetimeMs: 1_000, maxLifetimeJitter: 0 });
    const lease = await pool.acquire();
    await jest.advanceTimersByTimeAsync(1_500);
    expect(lease.resource.destroyed).toBe(false);
    lease.release();
    await settle();
    expect(lease.resource.destroyed).toBe(true);
    expect(factory.destroyed).toHaveLength(1);
  });

  it('validates only resources idle longer than validateAfterIdleMs', async () => {
    const { pool, factory } = makePool({ validateAfterIdleMs: 500 });
    (await pool.acquire()).release();
    (await pool.acquire()).release();
    expect(factory.validated).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(600);
    const lease = await pool.acquire();
    expect(factory.validated).toHaveLength(1);
    lease.release();
  });

  it('replaces a resource that fails validation and still serves the caller', async () => {
    const { pool, factory } = makePool({ validateAfterIdleMs: 100 });
    const first = await pool.acquire();
    first.release();
    await jest.advanceTimersByTimeAsync(200);
    factory.valid = false;
    const lease = await pool.acquire();
    expect(lease.resource.id).toBe(2);
    expect(first.resource.destroyed).toBe(true);
    expect(pool.stats().errors.validate).toBe(1);
    lease.release();
  });

  it('validates idle resources in the background when keepalive is on', async () => {
    const { pool, factory } = makePool({ min: 1, keepaliveMs: 1_000, housekeepingIntervalMs: 100 });
    await settle();
    factory.valid = false;
    await jest.advanceTimersByTimeAsync(1_200);
    expect(factory.validated.length).toBeGreaterThanOrEqual(1);
    expect(factory.created[0]!.destroyed).toBe(true);
    expect(pool.size).toBe(1);
  });

  it('removes an idle resource reported broken at once, logging and counting it', async () => {
    const { pool, factory, logger } = makePool({ min: 1 });
    await settle();
    factory.created[0]!.context.invalidate(new Error('terminating connection due to administrator command'));
    await settle();
    expect(factory.created[0]!.destroyed).toBe(true);
    expect(pool.stats().errors.broken).toBe(1);
    expect(logger.warnings.join('\n')).toMatch(/idle resource failed.*administrator command/);
    expect(pool.size).toBe(1);
    expect(factory.created).toHaveLength(2);
  });

  it('destroys a resource reported broken while lent when it is released', async () => {
    const { pool } = makePool();
    const lease = await pool.acquire();
    lease.resource.context.invalidate(new Error('socket closed'));
    expect(lease.resource.destroyed).toBe(false);
    lease.release();
    await settle();
    expect(lease.resource.destroyed).toBe(true);
    expect(pool.size).toBe(0);
  });
});

describe('ResourcePool create failures', () => {
  it('passes the create error to waiters when nothing is alive, and backs off between attempts', async () => {
    const { pool, factory } = makePool({ createRetryInitialMs: 100, createRetryMaxMs: 1_000 });
    factory.failWith = new Error('connect ECONNREFUSED postgres://app:hunter2@db:5432/x');
    const error = await pool.acquire().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolCreateError);
    expect((error as Error).message).toMatch(/could not create a resource: .*last create error: connect ECONNREFUSED/);
    expect((error as Error).message).not.toContain('hunter2');
    expect((error as Error).cause).toBe(factory.failWith);
    // Hammering acquire while creates fail never turns into a tight loop of creates.
    const attempts = Array.from({ length: 50 }, () => pool.acquire().catch((e: unknown) => e));
    await jest.advanceTimersByTimeAsync(1_000);
    await Promise.all(attempts);
    expect(factory.createCalls).toBeLessThanOrEqual(8);
    expect(pool.stats().lastCreateError).toContain('ECONNREFUSED');
    factory.failWith = undefined;
    await jest.advanceTimersByTimeAsync(1_000);
    const lease = await pool.acquire();
    expect(lease.resource.id).toBe(1);
    expect(pool.stats().lastCreateError).toBeUndefined();
    lease.release();
  });

  it('keeps waiters that live resources can still serve, and names the create error when they time out', async () => {
    const { pool, factory } = makePool({ max: 2, acquireTimeoutMs: 300 });
    const held = await pool.acquire();
    factory.failWith = new Error('too many connections');
    const waiting = pool.acquire().catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(400);
    const error = (await waiting) as PoolExhaustedError;
    expect(error).toBeInstanceOf(PoolExhaustedError);
    expect(error.message).toContain('last create error: too many connections');
    held.release();
  });

  it('fails a create that exceeds the connect timeout, separately from the acquire timeout', async () => {
    const { pool, factory } = makePool({ connectTimeoutMs: 200, acquireTimeoutMs: 5_000 });
    factory.hang = true;
    const waiting = pool.acquire().catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(250);
    const error = (await waiting) as Error;
    expect(error).toBeInstanceOf(PoolCreateError);
    expect(error.message).toContain('connect timeout');
    expect(pool.stats().errors.create).toBe(1);
  });
});

describe('ResourcePool fail fast during an outage', () => {
  /** A pool that has seen one create fail: the outage has begun. */
  async function failingPool(options: Partial<ResourcePoolOptions<Conn>> = {}) {
    const made = makePool({ kind: 'database', acquireTimeoutMs: 1_000, ...options });
    made.factory.failWith = new Error('connect ECONNREFUSED postgres://app:hunter2@db:5432/x');
    await made.pool.acquire().catch(() => undefined);
    return made;
  }

  it('refuses an acquire at once, before its timeout, with PoolUnavailableError carrying the redacted cause', async () => {
    const { pool, factory } = await failingPool();
    let settled = false;
    const refused = pool.acquire().finally(() => (settled = true));
    refused.catch(() => undefined);
    await settle(); // no fake time passes: the acquire timeout (1 s) cannot have run out
    expect(settled).toBe(true);
    const error = (await refused.catch((e: unknown) => e)) as PoolUnavailableError;
    expect(error).toBeInstanceOf(PoolUnavailableError);
    expect(error).toBeInstanceOf(PoolCreateError);
    expect(error.cause).toBe(factory.failWith);
    expect(error.message).toContain('last create error: connect ECONNREFUSED');
    expect(error.message).not.toContain('hunter2');
    // The cause once in the message, not again in the reason.
    expect(error.message.match(/ECONNREFUSED/g)).toHaveLength(1);
    const meaning = error[HTTP_MEANING]();
    expect(meaning).toMatchObject({ status: 503, code: 'pool_unavailable', dependency: 'database:test' });
    expect(meaning.retryAfterMs).toBeGreaterThan(0);
    expect(meaning.retryAfterMs).toBeLessThanOrEqual(1_000);
    expect(pool.pendingCount).toBe(0);
  });

  it('still waits when a lent resource may come back, and gets it', async () => {
    const { pool, factory } = makePool({ max: 2, acquireTimeoutMs: 1_000 });
    const held = await pool.acquire();
    factory.failWith = new Error('too many connections');
    const waiting = pool.acquire();
    await jest.advanceTimersByTimeAsync(100);
    expect(pool.stats().lastCreateError).toBe('too many connections');
    expect(pool.pendingCount).toBe(1);
    held.release();
    const lease = await waiting;
    expect(lease.resource).toBe(held.resource);
    lease.release();
  });

  it('fails waiters at once when the last lent resource breaks during the outage', async () => {
    const { pool, factory } = makePool({ max: 1, acquireTimeoutMs: 10_000 });
    const held = await pool.acquire();
    factory.failWith = new Error('server gone');
    const waiting = pool.acquire().catch((e: unknown) => e);
    await settle();
    held.destroy();
    await jest.advanceTimersByTimeAsync(50);
    expect(await waiting).toBeInstanceOf(PoolUnavailableError);
  });

  it('probes in the background with no caller, and serves again after the first success', async () => {
    const { pool, factory, logger } = await failingPool();
    for (let i = 0; i < 20; i++) await pool.acquire().catch(() => undefined);
    await jest.advanceTimersByTimeAsync(3_000);
    const probes = factory.createCalls;
    expect(probes).toBeGreaterThan(3);
    factory.failWith = undefined;
    await jest.advanceTimersByTimeAsync(1_000); // the cap: min(2 s, acquireTimeoutMs)
    expect(pool.stats()).toMatchObject({ size: 1, idle: 1, lastCreateError: undefined });
    const lease = await pool.acquire();
    lease.release();
    // One warn line for the whole outage, its repeats at debug, one line when it ends.
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toMatch(/cannot create connections, failing acquires fast/);
    expect(logger.debugs.length).toBeGreaterThanOrEqual(probes - 2);
    expect(logger.logs).toEqual([expect.stringMatching(/creating connections again after \d+ failed attempt/)]);
  });

  it('starts the next probe while a previous one hangs on a cut network', async () => {
    const { pool, factory } = await failingPool({ max: 10, connectTimeoutMs: 30_000 });
    factory.failWith = undefined;
    factory.hang = true;
    await jest.advanceTimersByTimeAsync(1_100); // one probe hangs
    const hanging = pool.creatingCount;
    expect(hanging).toBeGreaterThanOrEqual(1);
    factory.hang = false;
    await jest.advanceTimersByTimeAsync(1_100); // the next probe, long before the hung one's 30 s timeout
    expect(pool.stats().idle).toBe(1);
  });

  it('caps the create backoff at min(2 s, acquireTimeoutMs) unless set', () => {
    expect(makePool({ acquireTimeoutMs: 1_000 }).pool.options.createRetryMaxMs).toBe(1_000);
    expect(makePool({ acquireTimeoutMs: 30_000 }).pool.options.createRetryMaxMs).toBe(2_000);
    expect(makePool({ acquireTimeoutMs: 0 }).pool.options.createRetryMaxMs).toBe(100);
    expect(makePool({ createRetryMaxMs: 5_000 }).pool.options.createRetryMaxMs).toBe(5_000);
  });
});

describe('ResourcePool leak detection', () => {
  it('reports a lease held too long with the stack of whoever acquired it, and again when it returns', async () => {
    const { pool, logger } = makePool({ leakDetectionMs: 1_000, housekeepingIntervalMs: 100 });
    const lease = await pool.acquire();
    await jest.advanceTimersByTimeAsync(1_200);
    expect(pool.stats().leaks).toBe(1);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toMatch(/held for \d+ ms \(leakDetectionMs 1000\), possible leak; acquired at:/);
    expect(logger.warnings[0]).toContain('resource-pool.spec.ts');
    await jest.advanceTimersByTimeAsync(1_000);
    expect(pool.stats().leaks).toBe(1);
    lease.release();
    expect(logger.warnings[1]).toMatch(/came back after \d+ ms/);
  });

  it('captures no stack when leak detection is off', async () => {
    const { pool } = makePool({ leakDetectionMs: 0 });
    const spy = jest.spyOn(Error, 'captureStackTrace');
    (await pool.acquire()).release();
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });

  it('keeps timestamps but no stacks when stacks are turned off', async () => {
    const { pool, logger } = makePool({ leakDetectionMs: 100, leakDetectionStacks: false, housekeepingIntervalMs: 50 });
    const spy = jest.spyOn(Error, 'captureStackTrace');
    const lease = await pool.acquire();
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
    await jest.advanceTimersByTimeAsync(200);
    expect(logger.warnings[0]).toMatch(/possible leak \(stacks off/);
    lease.release();
  });
});

describe('ResourcePool drain and close', () => {
  it('refuses new acquires while draining, waits for leases, then closes everything', async () => {
    const { pool, factory } = makePool();
    const lease = await pool.acquire();
    (await pool.acquire()).release();
    const drained = pool.drain(5_000);
    const refused = await pool.acquire().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PoolClosedError);
    expect((refused as Error).message).toMatch(/Pool "test" is draining.*size 1\/3, used 1/);
    await jest.advanceTimersByTimeAsync(100);
    lease.release();
    await expect(drained).resolves.toEqual({ outstanding: 0, holders: [] });
    await pool.close();
    expect(factory.destroyed).toHaveLength(2);
    expect(pool.isClosed).toBe(true);
  });

  it('rejects queued waiters when draining starts', async () => {
    const { pool } = makePool({ max: 1 });
    const held = await pool.acquire();
    const waiting = pool.acquire().catch((e: unknown) => e);
    const drained = pool.drain(1_000);
    expect(await waiting).toBeInstanceOf(PoolClosedError);
    held.release();
    await drained;
  });

  it('gives up on leases after the timeout, logs their holders and revokes them on close', async () => {
    const { pool, logger, factory } = makePool({ leakDetectionMs: 60_000 });
    const lease = await pool.acquire();
    const closed = pool.close(500);
    await jest.advanceTimersByTimeAsync(600);
    const result = await closed;
    expect(result.outstanding).toBe(1);
    expect(result.holders[0]!.stack).toContain('resource-pool.spec.ts');
    expect(logger.warnings.join('\n')).toMatch(/1 lease\(s\) still out after 500 ms/);
    expect(factory.destroyed).toEqual([lease.resource]);
    lease.release();
    expect(pool.size).toBe(0);
  });

  it('clears every timer it armed', async () => {
    const { pool, factory } = makePool({ max: 1, acquireTimeoutMs: 10_000, min: 1 });
    factory.failWith = undefined;
    const held = await pool.acquire();
    const waiting = pool.acquire().catch(() => undefined);
    await settle();
    held.release();
    await waiting;
    await pool.close(0);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('ResourcePool and the resource registry', () => {
  it('registers each resource it opens while the registry tracks, and releases it when destroyed', async () => {
    const released: string[] = [];
    const registered: { type: string; owner?: string; longLived?: boolean }[] = [];
    const registry = {
      tracking: true,
      register: (_resource: object, info: { type: string; owner?: string; longLived?: boolean }) => {
        registered.push(info);
        const id = `r${registered.length}`;
        return { id, release: () => released.push(id), annotate: () => undefined };
      },
      detectLeaks: () => [],
    };
    const { pool } = makePool({ kind: 'database', resourceRegistry: registry, resourceType: 'db-connection' });
    const lease = await pool.acquire();
    expect(registered).toEqual([{ type: 'db-connection', owner: 'pool:database:test', longLived: true, parts: [] }]);
    lease.destroy();
    expect(released).toEqual(['r1']);
  });
});

describe('ResourcePool options', () => {
  it('rejects impossible settings with the option and the value', () => {
    expect(() => makePool({ max: 0 })).toThrow(/max = 0: must be an integer >= 1/);
    expect(() => makePool({ min: 5, max: 2 })).toThrow(/min = 5: must be an integer from 0 to max \(2\)/);
    expect(() => makePool({ maxLifetimeJitter: 1 })).toThrow(/maxLifetimeJitter/);
  });
});

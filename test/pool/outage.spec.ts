import { afterEach, describe, expect, it } from '@jest/globals';
import { httpMeaningOf } from '@ballast/core';
import {
  BallastPgPool,
  PoolExhaustedError,
  PoolQueueFullError,
  PoolUnavailableError,
  type PoolLogger,
} from '@ballast/pool';

import { DATABASE_URL } from '../support/services.js';
import { CuttableProxy } from './support/cuttable-proxy.js';

class CapturingLogger implements PoolLogger {
  readonly lines: { level: string; message: string }[] = [];
  log(message: string): void {
    this.lines.push({ level: 'log', message });
  }
  warn(message: string): void {
    this.lines.push({ level: 'warn', message });
  }
  error(message: string): void {
    this.lines.push({ level: 'error', message });
  }
  debug(message: string): void {
    this.lines.push({ level: 'debug', message });
  }
  at(level: string, pattern: RegExp): string[] {
    return this.lines.filter((l) => l.level === level && pattern.test(l.message)).map((l) => l.message);
  }
}

async function until(condition: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves 'timer' after `ms` (unref'd, so a forgotten race never holds the process). */
function timer(ms: number): Promise<'timer'> {
  return new Promise((resolve) => setTimeout(() => resolve('timer'), ms).unref());
}

const proxies: CuttableProxy[] = [];
const pools: BallastPgPool[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.end()));
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

/** A pool on the test database through a proxy the test can cut. */
async function proxiedPool(config: { max: number; acquireTimeoutMillis: number; maxWaiters?: number }) {
  const target = new URL(DATABASE_URL);
  const proxy = await CuttableProxy.start(target.hostname, Number(target.port || 5432));
  proxies.push(proxy);
  const url = new URL(DATABASE_URL);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.listenPort);
  const logger = new CapturingLogger();
  const pool = new BallastPgPool(
    { connectionString: url.toString(), max: config.max, acquireTimeoutMillis: config.acquireTimeoutMillis },
    {
      name: 'outage',
      logger,
      pool: { connectTimeoutMs: 2_000, ...(config.maxWaiters === undefined ? {} : { maxWaiters: config.maxWaiters }) },
    },
  );
  pools.push(pool);
  return { pool, proxy, logger };
}

describe('a database pool while PostgreSQL is unreachable (TCP proxy cut)', () => {
  it('fails acquires before their timeout with PoolUnavailableError, logs one warn line, and recovers on its own', async () => {
    const acquireTimeoutMs = 1_000; // PoolModule's default: the create backoff is capped at it
    const { pool, proxy, logger } = await proxiedPool({ max: 4, acquireTimeoutMillis: acquireTimeoutMs });
    expect((await pool.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);

    await proxy.cut();
    // The first callers after the cut find the broken idle connection, then the first failed create.
    await until(async () => {
      await pool.query('SELECT 1').catch(() => undefined);
      return pool.resourcePool.stats().lastCreateError !== undefined;
    });

    // Ordering, not speed: each refusal must come before a timer of the acquire timeout.
    for (let i = 0; i < 10; i++) {
      const outcome = await Promise.race([pool.connect().catch((e: unknown) => e), timer(acquireTimeoutMs)]);
      expect(outcome).toBeInstanceOf(PoolUnavailableError);
      const error = outcome as PoolUnavailableError;
      expect((error.cause as Error).message).toMatch(/ECONNREFUSED/);
      expect(error.message).toMatch(/last create error: .*ECONNREFUSED/);
      expect(error.message).not.toContain(new URL(DATABASE_URL).password || '\u0000');
      const meaning = httpMeaningOf(error)!;
      expect(meaning).toMatchObject({ status: 503, code: 'pool_unavailable', dependency: 'database:outage' });
      // The backoff is capped at min(2 s, acquire timeout): Retry-After never asks for longer.
      expect(meaning.retryAfterMs).toBeLessThanOrEqual(acquireTimeoutMs);
    }
    expect(pool.resourcePool.pendingCount).toBe(0);

    // Let the outage last until the backoff reaches its cap, as a real one would.
    await until(() => pool.resourcePool.stats().errors.create >= 6);
    // Nobody asks while the server comes back: the background probe alone restores the pool.
    await proxy.restore();
    const restoredAt = performance.now();
    await until(() => pool.resourcePool.stats().idle >= 1, 10_000);
    const recoveredMs = performance.now() - restoredAt;
    console.log(`[pool outage] first connection ${recoveredMs.toFixed(0)} ms after the proxy was restored`);
    expect((await pool.query('SELECT 2 AS ok')).rows).toEqual([{ ok: 2 }]);

    // One warn line for the outage however many callers were refused, one line when it ends.
    expect(logger.at('warn', /cannot create connections/)).toHaveLength(1);
    expect(logger.at('warn', /ECONNREFUSED/)).toHaveLength(1);
    expect(logger.at('log', /creating connections again after \d+ failed attempt/)).toHaveLength(1);
  });

  it('keeps a caller waiting while a lent connection may come back, and fails it at once when that one breaks', async () => {
    const { pool, proxy } = await proxiedPool({ max: 2, acquireTimeoutMillis: 5_000 });
    const held = await pool.connect();
    await proxy.cut();
    const waiting = pool.connect().catch((e: unknown) => e);
    await until(() => pool.resourcePool.stats().lastCreateError !== undefined);
    // Creates fail, but a lent connection could still come back: the caller stays in line.
    expect(pool.resourcePool.pendingCount).toBe(1);
    held.release(new Error('broken by the cut'));
    // Nothing is left that could come back: it is told now, not at its 5 s timeout.
    expect(await Promise.race([waiting, timer(5_000)])).toBeInstanceOf(PoolUnavailableError);
  });
});

describe('a database pool with a bounded wait queue on the real PostgreSQL', () => {
  it('refuses the caller past maxWaiters at once with PoolQueueFullError, and serves the ones in line', async () => {
    const { pool } = await proxiedPool({ max: 1, acquireTimeoutMillis: 5_000, maxWaiters: 2 });
    const held = await pool.connect();
    const inLine = [pool.connect(), pool.connect()];
    const refused = await Promise.race([pool.connect().catch((e: unknown) => e), timer(5_000)]);
    expect(refused).toBeInstanceOf(PoolQueueFullError);
    expect(refused).toBeInstanceOf(PoolExhaustedError);
    expect(httpMeaningOf(refused)).toMatchObject({ status: 503, code: 'pool_queue_full', retryAfterMs: 1_000 });
    expect(pool.resourcePool.stats()).toMatchObject({ pending: 2, exhausted: 1 });
    held.release();
    for (const next of inLine) {
      const client = await next;
      expect((await client.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
      client.release();
    }
  });
});
